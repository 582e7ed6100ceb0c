"""Why an upload is refused.

Every validation rule raises ``UploadRejected`` with the message users see: the legacy upload
protocol puts it in the HTTP reason phrase (which twine prints) and in the body.
"""


class UploadRejected(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
