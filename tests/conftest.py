from __future__ import annotations

# Tests that touch the sandbox's data need both aliases:
#     pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])
