"""The CSV upload is streamed: the file is read in chunks while the body is sent."""

from __future__ import annotations

import email
import email.policy
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from customers.voucherify.client import VoucherifyClient
from customers.voucherify.multipart import CHUNK_SIZE, MultipartFile
from tests.customers.voucherify.conftest import APP_ID, APP_TOKEN, BASE_URL


class RecordingFile(io.BytesIO):
    """A file that remembers the size of every read() asked of it."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.reads: list[int] = []

    def read(self, size=-1):
        self.reads.append(size)
        return super().read(size)


class Unsized:
    """A stream that can neither tell nor seek (a pipe, a decompressor...)."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def read(self, size=-1):
        return self._data.read(size)


def _file_part(content_type: str, body: bytes):
    message = email.message_from_bytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body, policy=email.policy.HTTP
    )
    (part,) = message.iter_parts()
    return part


def test_import_large_file_is_read_in_chunks_never_whole(client, api):
    data = b"Source_id,Email\n" + b"".join(
        b"src-%07d,user%07d@example.com\n" % (n, n) for n in range(200_000)
    )
    assert len(data) > 50 * CHUNK_SIZE
    file = RecordingFile(data)
    api.post(f"{BASE_URL}/v1/customers/importCSV", status=202, json={"async_action_id": "aa_1"})

    client.import_customers_using_csv(file)

    assert file.reads
    assert all(0 < size <= CHUNK_SIZE for size in file.reads)
    request = api.calls[0].request
    assert int(request.headers["Content-Length"]) == len(request.body)
    part = _file_part(request.headers["Content-Type"], request.body)
    assert part.get_filename() == "customers.csv"
    assert part.get_payload(decode=True) == data


def test_import_sends_content_length_through_a_real_socket():
    received: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received["headers"] = dict(self.headers)
            received["body"] = self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps({"async_action_id": "aa_2"}).encode()
            self.send_response(202)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        client = VoucherifyClient(
            f"http://127.0.0.1:{httpd.server_address[1]}", APP_ID, APP_TOKEN, timeout=5
        )
        data = b"Source_id\n" + b"x" * (3 * CHUNK_SIZE)
        action_id = client.import_customers_using_csv(RecordingFile(data), "big.csv")
    finally:
        httpd.shutdown()
        httpd.server_close()

    assert action_id == "aa_2"
    assert received["headers"]["X-App-Token"] == APP_TOKEN
    part = _file_part(received["headers"]["Content-Type"], received["body"])
    assert part.get_payload(decode=True) == data


def test_import_unsized_stream_goes_out_chunked(client, api):
    api.post(f"{BASE_URL}/v1/customers/importCSV", status=202, json={"async_action_id": "aa_3"})

    client.import_customers_using_csv(Unsized(b"Source_id\nabc\n"), "pipe.csv")

    request = api.calls[0].request
    assert request.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in request.headers
    assert _file_part(request.headers["Content-Type"], request.body).get_payload(decode=True) == (
        b"Source_id\nabc\n"
    )


def test_multipart_text_file_is_encoded_and_unsized():
    body = MultipartFile(io.StringIO("Name\nZoë\n"), "t.csv")

    assert body.len is None
    part = _file_part(body.content_type, b"".join(body))
    assert part.get_payload(decode=True) == "Name\nZoë\n".encode()


def test_multipart_uploaded_file_size_attribute_gives_length():
    class Uploaded(io.BytesIO):
        size = 4

    body = MultipartFile(Uploaded(b"a,b\n"), "u.csv")

    assert body.len == len(b"".join(body))


def test_multipart_real_file_size_from_fstat(tmp_path):
    path = tmp_path / "on-disk.csv"
    path.write_bytes(b"Source_id\n1\n2\n")

    with path.open("rb") as file:
        body = MultipartFile(file, path.name)

        assert body.len == len(b"".join(body))


def test_multipart_read_in_small_pieces_rebuilds_the_body():
    expected = b"".join(MultipartFile(io.BytesIO(b"x" * 1000), "a.csv"))
    body = MultipartFile(io.BytesIO(b"x" * 1000), "a.csv", chunk_size=64)

    pieces = iter(lambda: body.read(100), b"")

    assert len(b"".join(pieces)) == len(expected)


def test_multipart_filename_quotes_and_newlines_are_neutralised():
    body = MultipartFile(io.BytesIO(b""), 'evil"\r\nX-Injected: 1.csv')

    head = next(iter(body))

    assert b"X-Injected: 1.csv" in head
    assert b"\r\nX-Injected" not in head
    assert b'filename="evil\\"X-Injected: 1.csv"' in head
