"""Reading a customers CSV the way Voucherify's importer does, streamed: its encoding, its
delimiter, its header mapped to customer fields, and every row checked, in constant memory.

Nothing here speaks to Voucherify or the database; the services and the job worker use it for
the preview and, with the same rules, for the rows they send.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

import charset_normalizer

READ_BLOCK = 1024 * 1024
SNIFF_BYTES = 64 * 1024
MAX_PROBLEMS = 200  # findings kept for the page; the counts cover every row
BLOOM_BITS = 1 << 25  # 4 MiB: duplicate source_ids in constant memory (see `analyse`)

# -- encodings ------------------------------------------------------------------------------

UTF8 = "utf-8"
CP1252 = "cp1252"
LATIN1 = "latin-1"
ENCODING_NAMES = {UTF8: "UTF-8", CP1252: "Windows-1252", LATIN1: "Latin-1 (ISO-8859-1)"}


class UnreadableFile(Exception):
    """The file cannot be imported as it is: `message` says why and what to do."""


@dataclass(frozen=True)
class Encoding:
    codec: str  # utf-8, cp1252 or latin-1
    bom: int = 0  # bytes of byte-order mark at the start (UTF-8 with BOM: 3)

    @property
    def name(self) -> str:
        label = ENCODING_NAMES[self.codec]
        return f"{label} with BOM" if self.bom else label

    @property
    def needs_conversion(self) -> bool:
        return self.codec != UTF8


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while block := file.read(READ_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _is_utf8(path: str, start: int) -> bool:
    decoder = codecs.getincrementaldecoder(UTF8)()
    with open(path, "rb") as file:
        file.seek(start)
        try:
            while block := file.read(READ_BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def detect_encoding(path: str) -> Encoding:
    """UTF-8 (with or without BOM), or Windows-1252 / Latin-1 (converted once the user
    agrees); anything else raises `UnreadableFile` with what to do."""
    with open(path, "rb") as file:
        head = file.read(SNIFF_BYTES)
    if not head.strip():
        raise UnreadableFile("The file is empty: it needs a header row and at least one row.")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
        head.count(b"\x00") > len(head) // 8
    ):
        raise UnreadableFile(
            "The file is UTF-16 (Unicode text as some spreadsheets save it). Save it as "
            "“CSV UTF-8” and upload it again."
        )
    bom = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    if _is_utf8(path, bom):
        return Encoding(UTF8, bom)
    if _looks_western(head):
        for codec in (CP1252, LATIN1):
            try:
                with open(path, encoding=codec, newline="") as file:
                    while file.read(READ_BLOCK):
                        pass
            except UnicodeDecodeError:
                continue
            # Bytes 0x80-0x9F are printable only in Windows-1252; without them both agree.
            return Encoding(codec)
    guess = charset_normalizer.from_bytes(head).best()
    named = f" (it looks like {guess.encoding})" if guess is not None else ""
    raise UnreadableFile(
        f"The file is not UTF-8, Windows-1252 or Latin-1{named}. Save it as “CSV UTF-8” "
        "and upload it again."
    )


# The printable non-letters of Windows-1252 0x80-0xBF (typographic quotes, dashes, €...).
WESTERN_MARKS = {
    bytes([b]).decode(CP1252)
    for b in (*range(0x80, 0xC0), 0xD7, 0xF7)
    if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}


def _looks_western(head: bytes) -> bool:
    """Whether bytes read as Windows-1252 give Western text: accented letters and typographic
    marks here and there among ASCII ones (Cyrillic or Greek would be all high bytes)."""
    text = head.decode(CP1252, errors="replace")
    high = [ch for ch in text if ord(ch) > 127]
    if not high:
        return True
    plausible = sum(1 for ch in high if ch.isalpha() or ch in WESTERN_MARKS)
    letters = sum(1 for ch in text if ch.isalpha())
    high_letters = sum(1 for ch in high if ch.isalpha())
    return plausible >= 0.9 * len(high) and high_letters <= 0.4 * max(1, letters)


def convert_to_utf8(source: str, target: str, encoding: Encoding) -> None:
    """Write `source` decoded from `encoding` to `target` as UTF-8 (no BOM), streamed."""
    with (
        open(source, encoding=encoding.codec, newline="") as reader,
        open(target, "w", encoding=UTF8, newline="") as writer,
    ):
        while block := reader.read(READ_BLOCK):
            writer.write(block)


def sniff_delimiter(path: str, bom: int = 0) -> str:
    """`,`, `;` (European spreadsheets), tab or `|`, from the first lines."""
    with open(path, "rb") as file:
        file.seek(bom)
        sample = file.read(SNIFF_BYTES).decode(UTF8, errors="ignore")
    lines = sample.splitlines()
    sample = "\n".join(lines[:-1] if len(lines) > 1 else lines)  # drop a cut last line
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = lines[0] if lines else ""
        return max(",;\t|", key=first.count) if first else ","


# -- header mapping -------------------------------------------------------------------------

# Customer fields an import can set: field -> the header Voucherify's importCSV reads.
FIELDS = {
    "source_id": "Source_id",
    "name": "Name",
    "email": "Email",
    "phone": "Phone",
    "birthdate": "Birthdate",
    "birthday": "Birthday",
    "description": "Description",
    "address.line_1": "Address_line_1",
    "address.line_2": "Address_line_2",
    "address.postal_code": "Address_Postal_Code",
    "address.city": "Address_City",
    "address.state": "Address_State",
    "address.country": "Address_Country",
}
FIELD_LABELS = {
    "source_id": "Source id",
    "name": "Name",
    "email": "Email",
    "phone": "Phone",
    "birthdate": "Birthdate",
    "birthday": "Birthday (deprecated)",
    "description": "Description",
    "address.line_1": "Address line 1",
    "address.line_2": "Address line 2",
    "address.postal_code": "Postal code",
    "address.city": "City",
    "address.state": "State",
    "address.country": "Country",
}
# Normalised header -> field: both spellings of API_NOTES quirk 15, and common synonyms.
SYNONYMS = {
    "source_id": "source_id",
    "sourceid": "source_id",
    "source": "source_id",
    "customer_source_id": "source_id",
    "external_id": "source_id",
    "name": "name",
    "full_name": "name",
    "fullname": "name",
    "customer_name": "name",
    "email": "email",
    "e_mail": "email",
    "email_address": "email",
    "e_mail_address": "email",
    "mail": "email",
    "phone": "phone",
    "phone_number": "phone",
    "telephone": "phone",
    "tel": "phone",
    "mobile": "phone",
    "birthdate": "birthdate",
    "birth_date": "birthdate",
    "date_of_birth": "birthdate",
    "dob": "birthdate",
    "birthday": "birthday",
    "description": "description",
    "address_line_1": "address.line_1",
    "address_line1": "address.line_1",
    "address1": "address.line_1",
    "line_1": "address.line_1",
    "street": "address.line_1",
    "address": "address.line_1",
    "address_line_2": "address.line_2",
    "address_line2": "address.line_2",
    "address2": "address.line_2",
    "line_2": "address.line_2",
    "address_postal_code": "address.postal_code",
    "postal_code": "address.postal_code",
    "postcode": "address.postal_code",
    "post_code": "address.postal_code",
    "zip": "address.postal_code",
    "zip_code": "address.postal_code",
    "zipcode": "address.postal_code",
    "address_city": "address.city",
    "city": "address.city",
    "town": "address.city",
    "address_state": "address.state",
    "state": "address.state",
    "region": "address.state",
    "province": "address.state",
    "address_country": "address.country",
    "country": "address.country",
}
SKIP = "skip"
METADATA = "metadata"


def normalise_header(header: str) -> str:
    return re.sub(r"[\s\-./]+", "_", header.strip().lower()).strip("_")


def metadata_key(header: str) -> str:
    """A metadata key from a header: Voucherify's headers may not contain spaces."""
    return re.sub(r"\s+", "_", header.strip())


def suggest(header: str) -> dict:
    """The mapping of one header: `{"to": field | "metadata" | "skip", "key": ...}`."""
    normal = normalise_header(header)
    if not normal:
        return {"to": SKIP, "key": ""}
    if normal in SYNONYMS:
        return {"to": SYNONYMS[normal], "key": ""}
    close = difflib.get_close_matches(normal, SYNONYMS, n=1, cutoff=0.88)
    if close:
        return {"to": SYNONYMS[close[0]], "key": "", "guessed": True}
    return {"to": METADATA, "key": metadata_key(header)}


def suggest_mapping(headers: list[str]) -> list[dict]:
    """One mapping per column, in order; a field claimed twice keeps its first column."""
    mapping, taken = [], set()
    for header in headers:
        target = suggest(header)
        if target["to"] in FIELDS:
            if target["to"] in taken:
                target = {"to": SKIP, "key": "", "duplicate": True}
            taken.add(target["to"])
        mapping.append({"header": header, **target})
    return mapping


# -- rows -----------------------------------------------------------------------------------

EMAIL = re.compile(r"^[^@\s,;<>()\[\]\"']+@[^@\s,;<>()\[\]\"']+\.[^@\s,;<>()\[\]\"'.]{2,}$")
NUMBER_LIKE = re.compile(r"^[+-]?[\d\s().\-/]+$")  # a phone or a number, not a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DATE_FIELDS = ("birthdate", "birthday")


def is_iso_date(value: str) -> bool:
    try:
        if len(value) == 10:
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return value[4:5] == "-"


def formula_like(value: str) -> bool:
    """A spreadsheet would run it: `=...`, `@...`, or `+`/`-` not followed by a number."""
    if not value.startswith(FORMULA_START):
        return False
    return not (value[0] in "+-" and NUMBER_LIKE.match(value))


@dataclass(frozen=True)
class Problem:
    row: int  # 0: the header / the file
    column: str
    value: str
    expected: str
    blocking: bool = True

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value[:80],
            "expected": self.expected,
            "blocking": self.blocking,
        }


@dataclass(frozen=True)
class Columns:
    """A mapping compiled for speed: the index of each field, and the metadata columns."""

    headers: tuple[str, ...]
    fields: dict[str, int]
    metadata: tuple[tuple[int, str], ...]

    @classmethod
    def compile(cls, headers: list[str], mapping: list[dict]) -> Columns:
        fields: dict[str, int] = {}
        metadata = []
        for index, target in enumerate(mapping[: len(headers)]):
            to = target.get("to")
            if to in FIELDS and to not in fields:
                fields[to] = index
            elif to == METADATA and target.get("key"):
                metadata.append((index, target["key"]))
        return cls(tuple(headers), fields, tuple(metadata))

    def cell(self, cells: list[str], name: str) -> str:
        index = self.fields.get(name)
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    def source_id(self, cells: list[str]) -> str:
        return self.cell(cells, "source_id")

    def row_problems(self, number: int, cells: list[str]) -> list[Problem]:
        """What is wrong with one row; blocking problems keep it from being sent."""
        problems = []
        if len(cells) > len(self.headers):
            problems.append(
                Problem(
                    number,
                    "(extra cells)",
                    cells[len(self.headers)],
                    f"at most {len(self.headers)} cells, as many as the header has",
                )
            )
        if not self.source_id(cells):
            problems.append(Problem(number, self._header("source_id"), "", "a source id"))
        email = self.cell(cells, "email")
        if email and not EMAIL.match(email):
            problems.append(
                Problem(number, self._header("email"), email, "an email address (name@example.com)")
            )
        for name in DATE_FIELDS:
            value = self.cell(cells, name)
            if value and not is_iso_date(value):
                problems.append(
                    Problem(number, self._header(name), value, "a date as YYYY-MM-DD (ISO 8601)")
                )
        for index, value in enumerate(cells):
            if value and value[0] in "=+-@\t\r" and formula_like(value):
                problems.append(
                    Problem(
                        number,
                        self.headers[index] if index < len(self.headers) else "(extra cells)",
                        value,
                        "plain text: a spreadsheet would run this as a formula (it is sent "
                        "as text; the failed-rows download neutralises it)",
                        blocking=False,
                    )
                )
        return problems

    def erased_problems(self, number: int, cells: list[str], suppressed) -> list[Problem]:
        """A row whose source id, email or phone belonged to a customer erased at their
        request: sending it would bring them back (blocking)."""
        values = {name: self.cell(cells, name) for name in ("source_id", "email", "phone")}
        return [
            Problem(
                number,
                self._header(kind),
                values[kind],
                "an identifier of a living customer: this one belonged to a customer erased "
                "at their request (GDPR Art. 17); remove the row",
            )
            for kind in suppressed(**{k: v or None for k, v in values.items()})
        ]

    def _header(self, name: str) -> str:
        index = self.fields.get(name)
        return self.headers[index] if index is not None else FIELD_LABELS[name]

    def record(self, cells: list[str]) -> dict:
        """The Merge record: source_id and only the filled cells (blanks change nothing)."""
        record: dict = {}
        address: dict = {}
        for name, index in self.fields.items():
            value = cells[index].strip() if index < len(cells) else ""
            if not value:
                continue
            if name.startswith("address."):
                address[name.removeprefix("address.")] = value
            elif name in DATE_FIELDS and "T" in value:
                record[name] = value.split("T", 1)[0]
            else:
                record[name] = value
        metadata = {
            key: cells[index].strip()
            for index, key in self.metadata
            if index < len(cells) and cells[index].strip()
        }
        if address:
            record["address"] = address
        if metadata:
            record["metadata"] = metadata
        return record

    def replace_header(self) -> list[str]:
        """The header of the CSV sent to importCSV: Voucherify's spellings, then metadata."""
        return [FIELDS[name] for name in self.fields] + [key for _, key in self.metadata]

    def replace_row(self, cells: list[str]) -> list[str]:
        def at(index: int) -> str:
            return cells[index].strip() if index < len(cells) else ""

        return [at(i) for i in self.fields.values()] + [at(i) for i, _ in self.metadata]


class _Lines:
    """UTF-8 lines of a binary file from `start`, with the byte offset read so far: csv reads
    exactly the lines of one record before yielding it, so `pos` is where that record ends."""

    def __init__(self, file, start: int, end: int | None = None) -> None:
        self.file = file
        self.pos = start
        self.end = end
        file.seek(start)

    def __iter__(self) -> Iterator[str]:
        for raw in self.file:
            if self.end is not None and self.pos >= self.end:
                return
            self.pos += len(raw)
            yield raw.decode(UTF8)


@dataclass
class Record:
    number: int  # from 1 under the header; blank lines are not rows
    cells: list[str]
    start: int  # bytes
    end: int


def read_header(path: str, encoding: Encoding, delimiter: str) -> tuple[list[str], int]:
    """The header cells and the offset of the first row after them."""
    with open(path, "rb") as file:
        lines = _Lines(file, encoding.bom)
        for cells in csv.reader(lines, delimiter=delimiter):
            if any(cell.strip() for cell in cells):
                return [cell.strip() for cell in cells], lines.pos
    raise UnreadableFile("The file has no header row.")


def iter_records(
    path: str, delimiter: str, start: int, end: int | None = None, first_number: int = 1
) -> Iterator[Record]:
    """The records of a UTF-8 file between two byte offsets, numbered from `first_number`."""
    number = first_number
    with open(path, "rb") as file:
        lines = _Lines(file, start, end)
        position = start
        for cells in csv.reader(lines, delimiter=delimiter):
            record_end = lines.pos
            if cells and any(cell.strip() for cell in cells):
                yield Record(number, cells, position, record_end)
                number += 1
            position = record_end


# -- the preview ----------------------------------------------------------------------------


@dataclass
class Part:
    """A byte range of rows that, with the header, stays under the API's 10 MB."""

    byte_start: int
    byte_end: int
    first_row: int
    last_row: int

    def as_dict(self) -> dict:
        return self.__dict__.copy()


@dataclass
class Analysis:
    rows: int = 0
    blank_lines: int = 0
    problems: list[dict] = field(default_factory=list)
    errors: int = 0  # blocking findings
    warnings: int = 0
    rows_with_errors: int = 0
    duplicates: list[dict] = field(default_factory=list)
    duplicate_ids: int = 0
    parts: list[Part] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = self.__dict__.copy()
        data["parts"] = [part.as_dict() for part in self.parts]
        return data


class _Bloom:
    """A fixed-size set of hashes: says "maybe seen" or "certainly not seen"."""

    def __init__(self, bits: int = BLOOM_BITS) -> None:
        self.mask = bits - 1
        self.bits = bytearray(bits // 8)

    def add(self, value: str) -> bool:
        """Add `value`; True when it may have been added before."""
        digest = hash(value)
        seen = True
        for index in (digest & self.mask, (digest >> 25) & self.mask, (digest >> 50) & self.mask):
            byte, bit = index >> 3, 1 << (index & 7)
            if not self.bits[byte] & bit:
                seen = False
                self.bits[byte] |= bit
        return seen


def header_problems(headers: list[str], columns: Columns) -> list[str]:
    """Reasons the file cannot be sent at all, from its header alone."""
    problems = []
    data_like = [h for h in headers if EMAIL.match(h) or is_iso_date(h) or h.isdigit()]
    if data_like:
        problems.append(
            f"The first line looks like data, not a header (“{data_like[0][:40]}”). Add a "
            "header row (Source_id, Name, Email, ...); the template shows one."
        )
    elif "source_id" not in columns.fields:
        problems.append(
            "No column holds the source id: map one to “Source id” (Voucherify matches rows "
            "to customers by it)."
        )
    return problems


def analyse(
    path: str,
    encoding: Encoding,
    delimiter: str,
    mapping: list[dict],
    *,
    part_bytes: int,
    suppressed: Callable[..., list[str]] | None = None,
) -> Analysis:
    """One streamed pass over the rows (a second, over candidates only, for duplicates).

    Memory stays flat: findings beyond MAX_PROBLEMS are only counted, and duplicate source_ids
    are found with a fixed-size Bloom filter whose "maybe seen" ids are checked exactly in a
    second pass that keeps only those. `suppressed` (the suppression list's matcher) marks
    rows that would re-create an erased person.
    """
    headers, first = read_header(path, encoding, delimiter)
    columns = Columns.compile(headers, mapping)
    result = Analysis(file_errors=header_problems(headers, columns))
    header_bytes = len(_csv_line(headers, delimiter).encode(UTF8))
    bloom = _Bloom()
    candidates: set[str] = set()
    part: Part | None = None
    source_index = columns.fields.get("source_id")
    for record in iter_records(path, delimiter, first):
        result.rows = record.number
        cells = record.cells
        problems = columns.row_problems(record.number, cells)
        if suppressed is not None:
            problems.extend(columns.erased_problems(record.number, cells, suppressed))
        if problems:
            blocking = sum(1 for p in problems if p.blocking)
            result.errors += blocking
            result.warnings += len(problems) - blocking
            result.rows_with_errors += 1 if blocking else 0
            room = MAX_PROBLEMS - len(result.problems)
            result.problems.extend(p.as_dict() for p in problems[: max(0, room)])
        if source_index is not None and source_index < len(cells):
            source_id = cells[source_index].strip()
            if source_id and bloom.add(source_id):
                candidates.add(source_id)
        size = record.end - record.start
        if part is None or header_bytes + (record.end - part.byte_start) > part_bytes:
            if size + header_bytes > part_bytes:
                result.file_errors.append(
                    f"Row {record.number} alone is larger than a request may be "
                    f"({part_bytes:,} bytes)."
                )
            part = Part(record.start, record.end, record.number, record.number)
            result.parts.append(part)
        else:
            part.byte_end, part.last_row = record.end, record.number
    if candidates:
        _find_duplicates(path, delimiter, first, source_index, candidates, result)
    if not result.rows and not result.file_errors:
        result.file_errors.append("The file has a header but no rows.")
    return result


def _find_duplicates(path, delimiter, first, source_index, candidates, result) -> None:
    rows: dict[str, list[int]] = {}
    for record in iter_records(path, delimiter, first):
        cells = record.cells
        if source_index < len(cells):
            source_id = cells[source_index].strip()
            if source_id in candidates:
                rows.setdefault(source_id, []).append(record.number)
    for source_id, numbers in rows.items():
        if len(numbers) < 2:
            continue  # a false "maybe" of the filter
        result.duplicate_ids += 1
        result.warnings += 1
        if len(result.duplicates) < MAX_PROBLEMS:
            result.duplicates.append(
                {"source_id": source_id[:80], "rows": numbers[:10], "wins": numbers[-1]}
            )


def _csv_line(cells: list[str], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerow(cells)
    return buffer.getvalue()


def csv_line(cells: list[str]) -> str:
    """One CSV line (comma, \\r\\n) as Voucherify's importer reads it."""
    return _csv_line(cells)


TEMPLATE_ROWS = [
    [
        "crm-1001",
        "Ada Lovelace",
        "ada@example.com",
        "+44 20 7946 0000",
        "1815-12-10",
        "",
        "12 St James's Square",
        "",
        "SW1Y 4JH",
        "London",
        "",
        "GB",
        "gold",
    ],
]


def template_csv() -> str:
    header = [FIELDS[name] for name in FIELDS if name != "birthday"] + ["loyalty_tier"]
    return csv_line(header) + "".join(csv_line(row) for row in TEMPLATE_ROWS)
