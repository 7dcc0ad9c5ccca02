"""Forms of the import and bulk pages: the upload, the column mapping, the start, the metadata."""

from __future__ import annotations

from django import forms
from django.conf import settings

from customers.imports.csvfile import FIELD_LABELS, METADATA, SKIP, metadata_key
from customers.models import Job

TARGET_CHOICES = [
    ("Customer field", [(name, label) for name, label in FIELD_LABELS.items()]),
    (METADATA, "Metadata key"),
    (SKIP, "Skip this column"),
]


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="A header row, then one customer a row. Up to the size below.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the most an import takes is "
                f"{settings.IMPORT_MAX_BYTES:,} bytes."
            )
        return upload


class MappingForm(forms.Form):
    """One select (and a metadata key) per column of the file."""

    def __init__(self, *args, job: Job, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.columns = []
        for index, header in enumerate(job.preview.get("headers", [])):
            target = job.mapping.get(str(index), {})
            self.fields[f"to_{index}"] = forms.ChoiceField(
                label=header or f"Column {index + 1}",
                choices=TARGET_CHOICES,
                initial=target.get("to", SKIP),
            )
            self.fields[f"key_{index}"] = forms.CharField(
                label=f"Metadata key for {header or index + 1}",
                required=False,
                max_length=100,
                initial=target.get("key") or metadata_key(header),
            )
            self.columns.append((index, header, target))

    def rows(self):
        for index, header, target in self.columns:
            yield {
                "header": header,
                "target": self[f"to_{index}"],
                "key": self[f"key_{index}"],
                "guessed": target.get("guessed", False),
                "duplicate": target.get("duplicate", False),
            }

    def clean(self):
        data = super().clean()
        taken: dict[str, str] = {}
        for index, header, _ in self.columns:
            to = data.get(f"to_{index}")
            if to == METADATA and not (data.get(f"key_{index}") or "").strip():
                self.add_error(f"key_{index}", "Name the metadata key, or skip the column.")
            elif to not in (METADATA, SKIP, None):
                if to in taken:
                    self.add_error(
                        f"to_{index}",
                        f"“{taken[to]}” is already mapped to {FIELD_LABELS[to]}.",
                    )
                taken[to] = header
        return data

    def mapping(self) -> dict[str, dict]:
        result = {}
        for index, _header, _ in self.columns:
            to = self.cleaned_data[f"to_{index}"]
            key = metadata_key(self.cleaned_data.get(f"key_{index}") or "")
            result[str(index)] = {"to": to, "key": key if to == METADATA else ""}
        return result


class StartForm(forms.Form):
    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=64)
    kind = forms.ChoiceField(
        label="How rows meet existing customers",
        widget=forms.RadioSelect,
        choices=[
            (
                Job.Kind.MERGE,
                "Merge: only the filled cells change; blank cells keep what the customer has",
            ),
            (
                Job.Kind.REPLACE,
                "Replace: each row overwrites the whole profile; blank cells clear fields "
                "(Voucherify's CSV import)",
            ),
        ],
        initial=Job.Kind.MERGE,
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class MetadataForm(forms.Form):
    set_values = forms.CharField(
        label="Set (one key=value a line)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    clear_keys = forms.CharField(
        label="Clear (one key a line)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Voucherify keeps a cleared key with an empty value (null): its bulk "
        "metadata update cannot remove keys.",
    )

    def clean(self):
        data = super().clean()
        metadata: dict = {}
        for line in _lines(data.get("set_values", "")):
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                self.add_error("set_values", f"“{line[:40]}” is not key=value.")
                continue
            metadata[key.strip()] = value.strip()
        for key in _lines(data.get("clear_keys", "")):
            if key in metadata:
                self.add_error("clear_keys", f"“{key[:40]}” is both set and cleared.")
            metadata[key] = None
        if not metadata and not self.errors:
            raise forms.ValidationError("Give at least one key to set or clear.")
        data["metadata"] = metadata
        return data
