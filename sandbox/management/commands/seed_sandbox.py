"""`python manage.py seed_sandbox [--customers N] [--seed S] [--if-empty] [--reset]`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from sandbox import seed as seeding
from sandbox.models import Customer
from sandbox.routers import SANDBOX_DB


class Command(BaseCommand):
    help = "Fill the sandbox with realistic customers, activities, segments and consents."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=1, help="same seed, same data")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when customers exist"
        )
        parser.add_argument("--reset", action="store_true", help="delete all sandbox data first")

    def handle(self, *args, customers, seed: int, if_empty, reset, **options):
        if customers < 0:
            raise CommandError("--customers must be 0 or more")
        exists = Customer.objects.using(SANDBOX_DB).exists()
        if if_empty and exists and not reset:
            self.stdout.write("The sandbox already has customers; nothing to do.")
            return
        if reset:
            seeding.reset()
        elif exists:
            raise CommandError("The sandbox is not empty: use --reset (or --if-empty).")
        counts = seeding.seed(customers, seed, log=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {counts['customers']:,} customers, {counts['activities']:,} activities, "
                f"{counts['memberships']:,} segment memberships, {counts['consents']:,} consents "
                f"in {counts['seconds']} s."
            )
        )
