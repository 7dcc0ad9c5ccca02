"""`python manage.py verify_certificate FILE`: is this deletion certificate ours and intact?"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from customers.services.certificates import certificate_verify


class Command(BaseCommand):
    help = (
        "Check a deletion certificate (the JSON download) against this dashboard's "
        "DSR_CERTIFICATE_KEY and name every field that was changed, added or removed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="The certificate's JSON file ('-' reads stdin).")

    def handle(self, *args, file: str, **options) -> None:
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
            document = json.loads(text)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise CommandError(f"Cannot read {file} as JSON: {error}") from error
        check = certificate_verify(document)
        name = check.request or file
        if check.valid:
            self.stdout.write(self.style.SUCCESS(f"{name}: valid, the signature matches."))
            return
        for field in check.tampered:
            self.stderr.write(f"tampered: {field}")
        for problem in check.problems:
            self.stderr.write(problem)
        count = len(check.tampered)
        detail = f"{count} field{'s' if count != 1 else ''} tampered with" if count else "invalid"
        raise CommandError(f"{name}: NOT valid ({detail}).")
