from __future__ import annotations

from django.urls import path

from customers.views import consents, detail, edit, listing

app_name = "customers"
urlpatterns = [
    path("", listing.customer_list, name="list"),
    path("export.csv", listing.customer_export, name="export"),
    path("new/", edit.customer_create, name="create"),
    path("metadata-row/", edit.customer_metadata_row, name="metadata_row"),
    path("<str:customer_id>/", detail.customer_detail, name="detail"),
    path("<str:customer_id>/activities/", detail.customer_activities, name="activities"),
    path("<str:customer_id>/segments/", detail.customer_segments, name="segments"),
    path("<str:customer_id>/edit/", edit.customer_update, name="update"),
    path("<str:customer_id>/consents/", consents.customer_consents, name="consents"),
    *(
        path(
            f"<str:customer_id>/consents/record.{extension}",
            consents.customer_consents_record,
            {"extension": extension},
            name=f"consents_{extension}",
        )
        for extension in ("csv", "json")
    ),
]
