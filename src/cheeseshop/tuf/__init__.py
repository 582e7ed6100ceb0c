"""TUF (PEP 458) signing of every file and simple page the index serves."""
