"""The sandbox's state: what a Voucherify project holds for the Customers API."""

from __future__ import annotations

from django.db import models


class Customer(models.Model):
    id = models.CharField(primary_key=True, max_length=40)
    # Unique among all rows: soft deletion renames it to `<source_id>_deleted<timestamp>`.
    source_id = models.CharField(max_length=500, unique=True, null=True)
    name = models.CharField(max_length=500, null=True)
    description = models.TextField(null=True)
    email = models.CharField(max_length=500, null=True)
    phone = models.CharField(max_length=100, null=True)
    birthdate = models.CharField(max_length=10, null=True)
    birthday = models.CharField(max_length=10, null=True)
    address = models.JSONField(null=True)
    # Denormalised from address.city for the list filter and its index.
    city = models.CharField(max_length=500, null=True)
    metadata = models.JSONField(null=True)
    summary = models.JSONField(null=True)
    loyalty = models.JSONField(null=True)
    referrals = models.JSONField(null=True)
    unsubscribed = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(null=True)
    # updated_at, or created_at for a customer never updated: what updated_at orders sort by.
    touched_at = models.DateTimeField(null=True)
    deleted_at = models.DateTimeField(null=True)
    # The source_id before soft deletion, so that a permanent deletion can still find the row.
    original_source_id = models.CharField(max_length=500, null=True)

    class Meta:
        # The list's filters and orders, each an index that leads with deleted_at (the list
        # reads live customers only: `deleted_at IS NULL`, an equality) and holds what the
        # query reads after it, so that counts and pages are read from the index alone (a
        # partial index would not do: SQLite reads the row to check its WHERE). The order's
        # columns end in `id`, the tie-break: deep pages walk the index, no sort. `updated_at`
        # rides on the created index for a date range checked while walking it.
        indexes = [
            models.Index(
                fields=["deleted_at", "created_at", "id", "updated_at"], name="sbx_cust_by_created"
            ),
            models.Index(fields=["deleted_at", "touched_at", "id"], name="sbx_cust_by_touched"),
            models.Index(fields=["deleted_at", "source_id"], name="sbx_cust_by_source_id"),
            models.Index(fields=["deleted_at", "email"], name="sbx_cust_by_email"),
            models.Index(fields=["deleted_at", "name"], name="sbx_cust_by_name"),
            models.Index(
                fields=["deleted_at", "city", "created_at", "id"], name="sbx_cust_by_city"
            ),
            models.Index(fields=["deleted_at", "updated_at"], name="sbx_cust_by_updated"),
            # A segment's members joined to their customers, live and ordered, from the index.
            models.Index(fields=["id", "deleted_at", "created_at"], name="sbx_cust_live_id"),
        ]

    def __str__(self) -> str:
        return self.id


class Segment(models.Model):
    AUTO_UPDATE = "auto-update"
    PASSIVE = "passive"
    STATIC = "static"
    TYPES = [(AUTO_UPDATE, AUTO_UPDATE), (PASSIVE, PASSIVE), (STATIC, STATIC)]

    id = models.CharField(primary_key=True, max_length=40)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=TYPES)
    filter = models.JSONField(null=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return self.name


class SegmentMembership(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="memberships")
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "customer"], name="sbx_membership_unique")
        ]


class Activity(models.Model):
    seq = models.BigAutoField(primary_key=True)
    id = models.CharField(max_length=40, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="activities")
    type = models.CharField(max_length=80)
    data = models.JSONField()
    channel = models.CharField(max_length=20, default="API")
    group_id = models.CharField(max_length=40)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["customer", "created_at"], name="sbx_activity_customer")]


class Consent(models.Model):
    id = models.CharField(primary_key=True, max_length=40)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return self.name


class ConsentGroup(models.Model):
    id = models.CharField(primary_key=True, max_length=40)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    consents = models.ManyToManyField(Consent, related_name="groups")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return self.name


class CustomerConsent(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    consent = models.ForeignKey(Consent, on_delete=models.CASCADE, related_name="+")
    granted = models.BooleanField()
    date = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "consent"], name="sbx_customer_consent")
        ]


class AsyncAction(models.Model):
    ENQUEUED = "ENQUEUED"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    FAILED = "FAILED"

    IMPORT_CSV = "CUSTOMERS.IMPORT_CSV"
    BULK_UPDATE = "CUSTOMERS.BULK_UPDATE"
    METADATA_UPDATE = "CUSTOMERS.METADATA_UPDATE"

    id = models.CharField(primary_key=True, max_length=40)
    type = models.CharField(max_length=40)
    status = models.CharField(max_length=20, default=ENQUEUED, db_index=True)
    operation_status = models.CharField(max_length=20, null=True)
    progress = models.PositiveSmallIntegerField(default=0)
    payload = models.JSONField()
    result = models.JSONField(null=True)
    report = models.JSONField(null=True)
    report_url = models.CharField(max_length=500, blank=True)
    request_id = models.CharField(max_length=40)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True)
    processing_time = models.PositiveIntegerField(default=0)
    # Which process works on it and when it last showed signs of life: jobs of a dead
    # process are taken up again (see sandbox.jobs.recover_stale_jobs).
    owner = models.CharField(max_length=80, blank=True)
    heartbeat = models.DateTimeField(null=True)
    attempts = models.PositiveSmallIntegerField(default=0)


class PermanentDeletion(models.Model):
    """The receipt of a permanent deletion; it holds no personal data."""

    id = models.CharField(primary_key=True, max_length=40)
    related_object_id = models.CharField(max_length=40)
    data_json = models.JSONField()
    created_at = models.DateTimeField()
