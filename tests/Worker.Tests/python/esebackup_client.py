#!/usr/bin/env python3
"""A client of esebackup-worker written only from docs/protocol.md, with the Python standard library.

It starts the worker, initializes it, writes a sample file set (the `samples` extension), discovers it, runs a full
backup, completes it, verifies the set, restores it and checks every restored file against the manifest's SHA-256 and
against the source bytes. Then it takes a copy as a tar stream (`backupToStream`, read from a Unix socket it listens
on) and checks every member against the stream's own manifest and the source. It answers the worker's catalog
callbacks from an in-memory catalog.

Usage: esebackup_client.py WORKER WORKDIR [--transcript FILE]
Exit code 0 and a last line "OK ..." on success; anything else is a failure, explained on stderr.
"""
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading


class ProtocolError(Exception):
    pass


class Worker:
    def __init__(self, executable, transcript=None):
        self.proc = subprocess.Popen([executable], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.next_id = 0
        self.transcript = open(transcript, "w", encoding="utf-8") if transcript else None
        self.notifications = []
        self.catalog = {}  # setId -> {"manifest": ..., "state": ..., "completedAt": ...}
        self.stderr_lines = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _drain_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line.decode("utf-8", "replace").rstrip())

    def _log(self, direction, message):
        if self.transcript:
            self.transcript.write(json.dumps({"direction": direction, "message": message}) + "\n")
            self.transcript.flush()

    def send(self, message):
        self._log("host->worker", message)
        body = json.dumps(message).encode("utf-8")
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def receive(self):
        length = None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise ProtocolError("the worker closed its output; its log:\n" + "\n".join(self.stderr_lines[-20:]))
            line = line.decode("ascii").rstrip("\r\n")
            if line == "":
                break
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        if length is None:
            raise ProtocolError("a frame without Content-Length")
        body = self.proc.stdout.read(length)
        message = json.loads(body.decode("utf-8"))
        self._log("worker->host", message)
        return message

    def call(self, method, params):
        """Sends a request and serves the worker's callbacks and notifications until its response arrives."""
        self.next_id += 1
        my_id = self.next_id
        self.send({"jsonrpc": "2.0", "id": my_id, "method": method, "params": params})
        while True:
            message = self.receive()
            if "method" in message and "id" in message:
                self.answer_callback(message)
            elif "method" in message:
                self.notifications.append(message)
            elif message.get("id") == my_id:
                if "error" in message:
                    raise ProtocolError("%s failed: %s" % (method, message["error"]))
                return message["result"]
            else:
                raise ProtocolError("unexpected response %r" % message)

    def answer_callback(self, request):
        method, params = request["method"], request.get("params")
        if method == "catalog/getChain":
            result = self.chain(params["targetId"])
        elif method == "catalog/recordBackup":
            self.catalog[params["setId"]] = {"manifest": params, "state": "staged", "completedAt": None}
            result = None
        elif method == "catalog/recordTruncation":
            entry = self.catalog[params["setId"]]
            entry["state"] = "completed" if params["hostSucceeded"] and params["status"] != "skipped" else "failed"
            entry["completedAt"] = "2026-01-01T00:00:00+00:00"
            result = None
        else:
            self.send({"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32601, "message": "no method " + method}})
            return
        self.send({"jsonrpc": "2.0", "id": request["id"], "result": result})

    def chain(self, target_id):
        done = [e for e in self.catalog.values()
                if e["manifest"]["target"]["id"] == target_id and e["state"] == "completed" and e["manifest"]["kind"] != "copy"]
        fulls = [i for i, e in enumerate(done) if e["manifest"]["kind"] == "full"]
        if not fulls:
            return []
        chain_id = done[fulls[-1]]["manifest"]["setId"]
        return [e for e in done[fulls[-1]:] if e["manifest"]["chain"]["chainId"] == chain_id]


class StreamEndpoint:
    """The host's side of backupToStream: a Unix socket in a directory only this user can enter, read to its end."""

    def __init__(self):
        self.directory = tempfile.mkdtemp(prefix="esebackup-stream-")  # mode 0700
        self.path = os.path.join(self.directory, "set.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(1)
        self.listener.settimeout(60)
        self.data = io.BytesIO()
        self.error = None
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        try:
            connection, _ = self.listener.accept()
            with connection:
                for block in iter(lambda: connection.recv(1 << 16), b""):
                    self.data.write(block)
        except Exception as e:  # noqa: BLE001 - reported by the caller
            self.error = e

    def finish(self):
        """The bytes the worker wrote; it closed the endpoint before it answered, so the reader ends now."""
        self.reader.join(60)
        check(not self.reader.is_alive(), "the worker closed the stream before its answer")
        check(self.error is None, "reading the stream: %r" % self.error)
        self.listener.close()
        shutil.rmtree(self.directory, ignore_errors=True)
        return self.data.getvalue()


def stream_copy(worker, target, staging, source):
    """backupToStream of a copy: the tar's members match its own manifest.json (last) and the source's bytes."""
    endpoint = StreamEndpoint()
    worker.notifications.clear()
    result = worker.call("backupToStream", {"targetId": target["id"], "kind": "copy", "stagingDirectory": staging,
                                            "createStagingDirectory": True, "stream": endpoint.path})
    data = endpoint.finish()
    check(result.get("error") is None and result["succeeded"], "backupToStream: %r" % result.get("error"))
    check(result.get("setDirectory") is None, "a streamed set has no set directory")
    phases = [n["params"]["progress"]["phase"] for n in worker.notifications if n["method"] == "progress"]
    check("begin" in phases and "complete" in phases, "stream progress begin..complete: %r" % phases)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        check(members and members[-1].name == "manifest.json", "manifest.json is the stream's last file")
        contents = {m.name: tar.extractfile(m).read() for m in members}
    streamed = json.loads(contents["manifest.json"].decode("utf-8"))
    check(streamed["setId"] == result["manifest"]["setId"], "the stream's manifest is the answer's")
    check(streamed["kind"] == "copy", "a copy was streamed")
    for f in streamed["files"]:
        body = contents.get(f["path"])
        check(body is not None, "%s is in the stream" % f["path"])
        check(hashlib.sha256(body).hexdigest() == f["sha256"].lower(), "streamed %s matches its hash" % f["path"])
        if f["role"] == "database":
            check(hashlib.sha256(body).hexdigest() == sha256(os.path.join(source, os.path.basename(f["path"]))),
                  "streamed database equals the source")
    check(any(f["role"] == "database" for f in streamed["files"]), "a database was streamed")
    completed = worker.call("complete", {"manifest": result["manifest"], "succeeded": True})
    check(completed.get("error") is None, "complete of the streamed copy: %r" % completed.get("error"))
    return len(streamed["files"]), len(data)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check(condition, what):
    if not condition:
        raise ProtocolError("check failed: " + what)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    executable, work = argv[1], os.path.abspath(argv[2])
    transcript = argv[4] if len(argv) > 4 and argv[3] == "--transcript" else None
    source, staging, restored = (os.path.join(work, n) for n in ("source", "staging", "restored"))
    worker = Worker(executable, transcript)
    try:
        # Any call before initialize is a protocol error.
        worker.next_id += 1
        worker.send({"jsonrpc": "2.0", "id": worker.next_id, "method": "discover", "params": {}})
        early = worker.receive()
        check(early.get("error", {}).get("code") == -32002, "a call before initialize is refused with -32002: %r" % early)

        init = worker.call("initialize", {"hostName": "python-client", "hostVersion": "1.0",
                                          "contractVersions": ["1.0"], "configuration": {}})
        check(init["contractVersion"].startswith("1."), "contract 1.x negotiated")
        check(init["plugin"]["id"] == "esebackup.ese", "plugin id")
        check("samples" in init["worker"]["extensions"], "samples extension offered")

        sample = worker.call("samples/create", {"directory": source, "databaseBytes": 4 * 1024 * 1024, "logGenerations": 4})
        check(len(sample["databases"]) == 1, "one sample database")

        worker.notifications.clear()
        found = worker.call("discover", {"paths": [source], "kinds": ["fileSet"]})
        targets = [n["params"]["target"] for n in worker.notifications if n["method"] == "discover/target"]
        check(found["count"] == len(targets) == 1, "discover streamed one target: %r" % found)
        target = targets[0]

        worker.notifications.clear()
        backup = worker.call("backup", {"targetId": target["id"], "kind": "full", "stagingDirectory": staging,
                                        "createStagingDirectory": True})
        check(backup.get("error") is None and backup["succeeded"], "full backup: %r" % backup.get("error"))
        phases = [n["params"]["progress"]["phase"] for n in worker.notifications if n["method"] == "progress"]
        check("begin" in phases and "complete" in phases, "progress begin..complete: %r" % phases)
        manifest = backup["manifest"]
        check(worker.catalog[manifest["setId"]]["state"] == "staged", "catalog/recordBackup arrived")

        completed = worker.call("complete", {"manifest": manifest, "succeeded": True})
        check(completed.get("error") is None, "complete: %r" % completed.get("error"))
        check(completed["truncation"]["hostSucceeded"] is True, "truncation report")
        check(worker.catalog[manifest["setId"]]["state"] == "completed", "catalog/recordTruncation arrived")

        verified = worker.call("verifySet", {"setDirectory": backup["setDirectory"]})
        check(verified["isClean"], "verify-set clean")

        result = worker.call("restore", {"setDirectories": [backup["setDirectory"]], "destination": restored})
        check(result["succeeded"], "restore: %r" % result.get("error"))
        by_path = {f["path"]: f for f in manifest["files"]}
        checked = 0
        for f in result["files"]:
            path = os.path.join(restored, f["path"])
            check(sha256(path) == f["sha256"].lower(), "restored %s matches its hash" % f["path"])
            original = os.path.join(source, os.path.basename(f["path"]))
            if f["role"] == "database":
                check(sha256(original) == sha256(path), "restored database equals the source")
            checked += 1
        check(any(f["role"] == "database" for f in result["files"]), "a database was restored")
        check(len(by_path) >= checked, "manifest lists the restored files")

        streamed, streamed_bytes = stream_copy(worker, target, staging, source)

        check(worker.call("shutdown", {}) is None, "shutdown answers null")
        worker.proc.stdin.close()
        code = worker.proc.wait(timeout=60)
        check(code == 0, "worker exit code 0 after shutdown, got %d" % code)
        print("OK %d files restored and checked; %d files streamed (%d bytes) and checked; worker %s (%s)" % (
            checked, streamed, streamed_bytes, init["worker"]["version"], "Native AOT" if init["worker"]["nativeAot"] else "JIT"))
        return 0
    except Exception as e:  # noqa: BLE001 - report every failure the same way
        print("FAILED: %s" % e, file=sys.stderr)
        print("\n".join(worker.stderr_lines[-30:]), file=sys.stderr)
        if worker.proc.poll() is None:
            worker.proc.kill()
        return 1
    finally:
        if worker.transcript:
            worker.transcript.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
