"""The business rules, as `<entity>_<action>` functions (HackSoft's Django-Styleguide).

A service takes plain values and the acting user, calls the Voucherify client, writes the
dashboard's own records (audit trail, ledgers, jobs) and returns an outcome from
`customers.services.outcomes` that the view renders, or raises a `VoucherifyError` when the
write was certainly not applied. Services know nothing of requests, forms or templates.

One module per page family: `customers` (create, edit), and the consents, data-subject
requests and imports beside it.
"""
