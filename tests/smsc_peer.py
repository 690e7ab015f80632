"""A real SMPP SMSC in a child process (tests/smsc/server.js, node-smpp), for tests and benchmarks.

    with SmscPeer(resp_delay_ms=20, receipts="mixed") as smsc:
        ...connect the gateway to 127.0.0.1:smsc.port as system_id "mcrm", password "secret"...
        smsc.wait_for(lambda events: len([e for e in events if e["event"] == "submit"]) == 3)
        ref = smsc.send_mo("+8613800138000", "1069001001", text="JF")
        smsc.wait_for(lambda events: any(e.get("ref") == ref for e in events if e["event"] == "deliver_sm_resp"))

Keyword arguments become the server's options: `resp_delay_ms=20` is `--resp-delay-ms 20`, `quiet=True`
is `--quiet`, and False or None leave an option out. tests/smsc/server.js lists them all.
"""

from __future__ import annotations

import collections
import itertools
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SMSC_DIR = PROJECT_ROOT / "tests" / "smsc"
SERVER_JS = SMSC_DIR / "server.js"

SYSTEM_ID = "mcrm"
PASSWORD = "secret"

ESME_ROK = 0x00
ESME_RINVBNDSTS = 0x04
ESME_RINVDSTADR = 0x0B
ESME_RBINDFAIL = 0x0D
ESME_RMSGQFUL = 0x14
ESME_RTHROTTLED = 0x58

Event = dict[str, Any]


class SmscPeerError(RuntimeError):
    pass


class SmscPeer:
    def __init__(self, *, port: int = 0, start_timeout: float = 15, **options: Any):
        self._options = options
        self._requested_port = port
        self._start_timeout = start_timeout
        self._events: list[Event] = []
        self._changed = threading.Condition()
        # Lines that were not events (node's own errors, a crash trace) for failure messages.
        self._stray: collections.deque[str] = collections.deque(maxlen=200)
        self._refs = itertools.count(1)
        self._stdin_lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._readers: list[threading.Thread] = []
        # Port 0 lets the server bind any free port and report it, so no other process can take
        # the port between choosing and binding it.
        self.port = 0

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> SmscPeer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def command_line(self) -> list[str]:
        node = shutil.which("node")
        if node is None:
            raise SmscPeerError("node is not on PATH; the test SMSC needs Node.js (see tests/smsc/package.json)")
        args = [node, str(SERVER_JS), "--port", str(self._requested_port)]
        for name, value in self._options.items():
            flag = "--" + name.replace("_", "-")
            if value is None or value is False:
                continue
            if value is True:
                args.append(flag)
            else:
                args += [flag, str(value)]
        return args

    def start(self) -> None:
        if not (SMSC_DIR / "node_modules" / "smpp").is_dir():
            raise SmscPeerError(
                f"{SMSC_DIR / 'node_modules'} is missing: run `make test` (or `make bench`), which installs "
                "the test SMSC's npm packages with `npm ci`"
            )
        self._process = subprocess.Popen(
            self.command_line(),
            cwd=SMSC_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self._readers = [
            threading.Thread(target=self._read_events, args=(self._process.stdout,), daemon=True),
            threading.Thread(target=self._read_stray, args=(self._process.stderr,), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        try:
            listening = self.wait_for(
                lambda events: next((e for e in events if e["event"] == "listening"), None),
                timeout=self._start_timeout,
            )
        except BaseException:
            self.close()
            raise
        self.port = listening["port"]

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        # The server exits on its own once stdin closes; the kill is only for a wedged one.
        try:
            if process.stdin:
                process.stdin.close()
        except OSError:
            pass
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for reader in self._readers:
            reader.join(timeout=5)
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # ------------------------------------------------------------ events

    def _read_events(self, stream) -> None:
        for line in stream:
            try:
                event = json.loads(line)
            except ValueError:
                event = None
            with self._changed:
                if isinstance(event, dict) and "event" in event:
                    self._events.append(event)
                else:
                    self._stray.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def _read_stray(self, stream) -> None:
        for line in stream:
            with self._changed:
                self._stray.append(line.rstrip("\n"))
                self._changed.notify_all()

    def events(self, kind: str | None = None) -> list[Event]:
        with self._changed:
            if kind is None:
                return list(self._events)
            return [e for e in self._events if e["event"] == kind]

    def submits(self) -> list[Event]:
        return self.events("submit")

    def clear(self) -> None:
        """Forget the events so far, to look at one phase of a test on its own."""
        with self._changed:
            self._events.clear()

    def wait_for(self, predicate: Callable[[list[Event]], Any], timeout: float = 10) -> Any:
        """Wait until predicate(events) is truthy and return its value."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = predicate(self._events)
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"SMSC condition not met within {timeout} s\n{self._summary()}")
                if self._process is None or self._process.poll() is not None:
                    # Let the readers drain the pipes: the last events and node's error come with the exit.
                    drain_deadline = time.monotonic() + 2
                    while any(r.is_alive() for r in self._readers) and time.monotonic() < drain_deadline:
                        self._changed.wait(0.05)
                    result = predicate(self._events)
                    if result:
                        return result
                    raise SmscPeerError(f"the SMSC is not running\n{self._summary()}")
                self._changed.wait(min(remaining, 0.25))

    def _summary(self) -> str:
        counts = collections.Counter(e["event"] for e in self._events)
        returncode = self._process.poll() if self._process else "closed"
        lines = [f"exit status: {returncode}", f"events by kind: {dict(counts)}", "last events:"]
        lines += [f"  {json.dumps(e, ensure_ascii=False)}" for e in self._events[-15:]]
        if self._stray:
            lines.append("other output:")
            lines += [f"  {line}" for line in list(self._stray)[-40:]]
        return "\n".join(lines)

    # ------------------------------------------------------------ commands

    def _send(self, command: dict[str, Any]) -> None:
        if not self.running:
            raise SmscPeerError(f"the SMSC is not running\n{self._summary()}")
        with self._stdin_lock:
            assert self._process is not None and self._process.stdin is not None
            self._process.stdin.write(json.dumps(command, ensure_ascii=False) + "\n")
            self._process.stdin.flush()

    def send_mo(
        self,
        from_: str,
        to: str,
        text: str | None = None,
        hex: str | None = None,
        data_coding: int = 0,
        repeat: int = 1,
        **extra: Any,
    ) -> str:
        """Send a mobile-originated deliver_sm to every bound receiver; returns the ref that the
        `mo` and `deliver_sm_resp` events carry. `extra` passes esm_class, payload, *_ton, *_npi."""
        if (text is None) == (hex is None):
            raise ValueError("give exactly one of text and hex")
        ref = f"mo{next(self._refs)}"
        command: dict[str, Any] = {
            "cmd": "mo",
            "ref": ref,
            "from": from_,
            "to": to,
            "data_coding": data_coding,
            "repeat": repeat,
            **extra,
        }
        if text is not None:
            command["text"] = text
        else:
            command["hex"] = hex
        self._send(command)
        return ref

    def drop(self) -> None:
        """Cut every client connection at once, without unbind."""
        self._send({"cmd": "drop"})

    def unbind(self) -> None:
        """Ask every bound client to unbind, as an SMSC going down for maintenance does."""
        self._send({"cmd": "unbind"})

    def set(self, timeout: float = 5, **options: Any) -> None:
        """Change options while running, e.g. set(throttle_tps=5) to start throttling mid-test."""
        ref = f"set{next(self._refs)}"
        self._send({"cmd": "set", "ref": ref, "options": options})
        self._reply(ref, "set", timeout)

    def stats(self, timeout: float = 5) -> dict[str, Any]:
        ref = f"stats{next(self._refs)}"
        self._send({"cmd": "stats", "ref": ref})
        stats = dict(self._reply(ref, "stats", timeout))
        stats["by_status"] = {int(k): v for k, v in stats["by_status"].items()}
        stats["per_second"] = {int(k): v for k, v in stats["per_second"].items()}
        return stats

    def _reply(self, ref: str, kind: str, timeout: float) -> Event:
        def answered(events: list[Event]) -> Event | None:
            for event in reversed(events):
                if event.get("ref") == ref and event["event"] in (kind, "error"):
                    return event
            return None

        event = self.wait_for(answered, timeout)
        if event["event"] == "error":
            raise SmscPeerError(f"the SMSC refused {kind}: {event['message']}")
        return event
