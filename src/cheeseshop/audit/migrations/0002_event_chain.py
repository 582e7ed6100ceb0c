"""The hash chain (sequence, chain_hash), the optional IP prefix and the parsed user agent.

Events recorded before this migration are chained here, oldest first, exactly as the recorder
chains new ones; their user agents are parsed from the stored header.
"""

import django.utils.timezone
from django.db import migrations, models

from cheeseshop.audit.chain import GENESIS_HASH, content_of, link_hash
from cheeseshop.audit.useragents import parse_user_agent


def chain_existing_events(apps, schema_editor):
    Event = apps.get_model("audit", "Event")
    using = schema_editor.connection.alias
    previous_hash = GENESIS_HASH
    for sequence, event in enumerate(Event.objects.using(using).order_by("id").iterator(), 1):
        event.sequence = sequence
        event.user_agent_info = parse_user_agent(event.user_agent)
        event.chain_hash = link_hash(previous_hash, content_of(event))
        event.save(update_fields=["sequence", "user_agent_info", "chain_hash"])
        previous_hash = event.chain_hash


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="chain_hash",
            field=models.CharField(
                default="",
                help_text="SHA-256 of the previous event's chain hash and this event's content.",
                max_length=64,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="event",
            name="ip_prefix",
            field=models.CharField(
                blank=True,
                help_text="The network the IP address belongs to (/24 for IPv4, /48 for IPv6), "
                "kept only when CHEESESHOP_AUDIT_STORE_IP_PREFIX is on.",
                max_length=50,
            ),
        ),
        migrations.AddField(
            model_name="event",
            name="sequence",
            field=models.BigIntegerField(
                null=True, help_text="Position in the hash chain: 1, 2, 3... without gaps."
            ),
        ),
        migrations.AddField(
            model_name="event",
            name="user_agent_info",
            field=models.JSONField(
                default=dict,
                help_text="What the User-Agent says: installer and Python, or browser and system.",
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="time",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
        migrations.RunPython(chain_existing_events, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="event",
            name="sequence",
            field=models.BigIntegerField(
                help_text="Position in the hash chain: 1, 2, 3... without gaps.", unique=True
            ),
        ),
    ]
