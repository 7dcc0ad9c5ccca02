"""The preview's findings for good and bad files, through the upload service."""

from __future__ import annotations

import pytest

from customers.imports import csvfile
from customers.models import Job
from customers.services import imports

pytestmark = pytest.mark.django_db

GOOD = (
    "Source_id,Name,Email,Birthdate,City\r\n"
    "crm-1,Ann Lee,ann@example.com,1990-01-31,Oslo\r\n"
    "crm-2,Bo Berg,bo@example.com,,Bergen\r\n"
)


@pytest.fixture
def marketing(user_for):
    return user_for("marketing")


def upload(data: bytes | str, user, name: str = "customers.csv"):
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return imports.import_upload(chunks=[raw], filename=name, size=len(raw), user=user)


def targets(job: Job) -> list[str]:
    return [job.mapping[str(i)]["to"] for i in range(len(job.mapping))]


def test_upload_good_file_counts_rows_and_maps_headers(marketing):
    job = upload(GOOD, marketing)
    assert job.state == Job.State.DRAFT
    assert job.preview["rows"] == 2
    assert job.preview["errors"] == 0
    assert targets(job) == ["source_id", "name", "email", "birthdate", "address.city"]
    assert job.fingerprint == csvfile.sha256_of(job.path)


def test_upload_bom_utf8_is_read_and_the_bom_removed(marketing):
    job = upload(b"\xef\xbb\xbf" + GOOD.encode(), marketing)
    assert job.encoding == "utf-8"
    assert job.preview["bom_removed"] is True
    assert targets(job)[0] == "source_id"  # no BOM glued to the first header
    with open(job.path, "rb") as stored:
        assert stored.read(3) == b"Sou"


def test_upload_windows_1252_is_named_and_converted_once_agreed(marketing):
    data = "Source_id;Name;City\r\ncrm-1;Zoë Müller;Köln\r\ncrm-2;José “Pepe” Ruiz;Málaga\r\n"
    job = upload(data.encode("cp1252"), marketing)
    assert job.encoding == "cp1252"
    assert job.preview == {}  # no preview before the user agrees
    job = imports.import_convert(job_id=job.pk, user=marketing)
    assert job.encoding == "utf-8"
    assert job.preview["converted_from"] == "Windows-1252"
    assert job.preview["rows"] == 2
    with open(job.path, encoding="utf-8") as stored:
        assert "José “Pepe” Ruiz" in stored.read()


def test_upload_latin1_without_windows_bytes_is_named_latin1_or_windows(marketing):
    job = upload("Source_id,Name\ncrm-1,Ångström\n".encode("latin-1"), marketing)
    assert csvfile.Encoding(job.encoding).name in ("Windows-1252", "Latin-1 (ISO-8859-1)")


def test_upload_utf16_is_refused_with_what_to_do(marketing):
    outcome = upload(GOOD.encode("utf-16"), marketing)
    assert isinstance(outcome, imports.Refused)
    assert "UTF-16" in outcome.message
    assert "CSV UTF-8" in outcome.message
    assert not Job.objects.exists()


def test_upload_semicolons_are_sniffed(marketing):
    job = upload("source_id;e-mail;Postal code\ncrm-1;a@example.com;0150\n", marketing)
    assert job.delimiter == ";"
    assert targets(job) == ["source_id", "email", "address.postal_code"]
    assert job.preview["rows"] == 1


def test_upload_synonym_and_wrong_case_headers_are_matched(marketing):
    headers = "SOURCE_ID,E-mail,Zip,postal_code,ADDRESS_CITY,Country,favourite_brand\n"
    job = upload(headers + "crm-1,a@example.com,1,2,Oslo,NO,acme\n", marketing)
    assert targets(job) == [
        "source_id",
        "email",
        "address.postal_code",
        "skip",  # a second postal code column: the first one keeps the field
        "address.city",
        "address.country",
        "metadata",
    ]
    assert job.mapping["6"]["key"] == "favourite_brand"


def test_upload_missing_header_is_a_blocking_file_error(marketing):
    job = upload("crm-1,Ann,ann@example.com\ncrm-2,Bo,bo@example.com\n", marketing)
    assert any("looks like data" in e for e in job.preview["file_errors"])


def test_upload_no_source_id_column_is_a_blocking_file_error(marketing):
    job = upload("Name,Email\nAnn,ann@example.com\n", marketing)
    assert any("source id" in e for e in job.preview["file_errors"])


def test_upload_blank_lines_are_not_rows(marketing):
    job = upload("Source_id,Name\n\ncrm-1,Ann\n\n\ncrm-2,Bo\n\n", marketing)
    assert job.preview["rows"] == 2
    assert job.preview["errors"] == 0


def test_upload_bad_rows_name_row_column_value_and_expected(marketing):
    data = (
        "Source_id,Email,Birthdate,Note\n"
        "crm-1,not-an-email,1990-01-31,fine\n"
        ",ok@example.com,,fine\n"
        "crm-3,c@example.com,31/01/1990,fine\n"
        'crm-4,d@example.com,,=HYPERLINK("http://x")\n'
        "crm-5,e@example.com,,+47 900 00 000\n"
    )
    job = upload(data, marketing)
    found = {(p["row"], p["column"], p["blocking"]): p for p in job.preview["problems"]}
    assert found[(1, "Email", True)]["value"] == "not-an-email"
    assert "email address" in found[(1, "Email", True)]["expected"]
    assert (2, "Source_id", True) in found
    assert found[(3, "Birthdate", True)]["expected"].startswith("a date as YYYY-MM-DD")
    assert found[(4, "Note", False)]["value"].startswith("=HYPERLINK")
    assert not any(p["row"] == 5 for p in job.preview["problems"])  # a phone is no formula
    assert job.preview["rows_with_errors"] == 3
    assert job.preview["warnings"] == 1


def test_upload_duplicate_source_ids_say_which_row_wins(marketing):
    data = "Source_id,Name\ncrm-1,First\ncrm-2,Other\ncrm-1,Second\ncrm-1,Third\n"
    job = upload(data, marketing)
    assert job.preview["duplicates"] == [{"source_id": "crm-1", "rows": [1, 3, 4], "wins": 4}]


def test_upload_file_of_10_mb_plus_one_byte_goes_in_two_parts(marketing, settings):
    settings.IMPORT_PART_BYTES = 10 * 1024 * 1024  # the API's own limit
    header = "Source_id,Name,Email\n"
    row = "crm-{:07d},Customer Name,customer@example.com\n"
    lines, size, n = [header], len(header), 0
    target = 10 * 1024 * 1024 + 1
    while size < target - 60:
        line = row.format(n)
        lines.append(line)
        size += len(line)
        n += 1
    last = f"crm-last,{'x' * (target - size - 24)},z@example.com\n"
    lines.append(last)
    data = "".join(lines).encode()
    assert len(data) == target
    job = upload(data, marketing)
    parts = job.preview["parts"]
    assert len(parts) == 2
    assert parts[0]["first_row"] == 1
    assert parts[1]["first_row"] == parts[0]["last_row"] + 1
    assert parts[1]["last_row"] == job.preview["rows"]
    assert all(
        p["byte_end"] - p["byte_start"] + len(header) <= settings.IMPORT_PART_BYTES for p in parts
    )


def test_upload_over_the_size_setting_is_refused(marketing, settings):
    settings.IMPORT_MAX_BYTES = 100
    outcome = upload(GOOD * 5, marketing)
    assert isinstance(outcome, imports.Refused)
    assert "100 bytes" in outcome.message


def test_remap_applies_the_users_correction(marketing):
    job = upload("Source_id,Mail box\ncrm-1,ann@example.com\n", marketing)
    assert job.mapping["1"]["to"] == "metadata"
    job = imports.import_remap(
        job_id=job.pk, mapping={"1": {"to": "email", "key": ""}}, user=marketing
    )
    assert targets(job) == ["source_id", "email"]


def test_template_is_a_header_the_importer_maps_entirely():
    header, *_ = csvfile.template_csv().splitlines()
    mapping = csvfile.suggest_mapping(header.split(","))
    assert [m["to"] for m in mapping][:3] == ["source_id", "name", "email"]
    assert mapping[-1] == {"header": "loyalty_tier", "to": "metadata", "key": "loyalty_tier"}
