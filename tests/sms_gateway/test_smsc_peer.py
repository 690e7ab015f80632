"""The test SMSC itself, driven by smpplib as a plain SMPP client, so that gateway tests can trust it."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import smpplib.client
import smpplib.exceptions
import smpplib.smpp

import tests.smsc_peer
from tests.smsc_peer import (
    ESME_RBINDFAIL,
    ESME_RINVDSTADR,
    ESME_RMSGQFUL,
    ESME_RTHROTTLED,
    PASSWORD,
    SYSTEM_ID,
    SmscPeer,
    SmscPeerError,
)


@contextmanager
def bound(smsc: SmscPeer, timeout: float = 2) -> Iterator[smpplib.client.Client]:
    client = smpplib.client.Client("127.0.0.1", smsc.port, timeout=timeout, allow_unknown_opt_params=True)
    client.connect()
    # Without it the kernel holds back pipelined submits until the first one is acked.
    client._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        client.bind_transceiver(system_id=SYSTEM_ID, password=PASSWORD)
        yield client
    finally:
        client.disconnect()


def submit(client, destination: str, receipt: bool = True, text: bytes = b"hello"):
    return client.send_message(
        source_addr="1069001001",
        destination_addr=destination,
        short_message=text,
        data_coding=0,
        registered_delivery=receipt,
    )


def of_kind(events, kind: str) -> list[dict]:
    return [e for e in events if e["event"] == kind]


def ack(client, deliver_sm, status: int = 0) -> None:
    resp = smpplib.smpp.make_pdu("deliver_sm_resp", client=client, status=status)
    resp.sequence = deliver_sm.sequence
    client.send_pdu(resp)


def test_pipelined_submits_are_answered_in_parallel_and_each_gets_a_receipt_after_its_resp():
    with SmscPeer(resp_delay_ms=20) as smsc, bound(smsc) as client:
        sequences = [submit(client, f"1380013800{i}").sequence for i in range(10)]
        started = time.monotonic()
        pdus = [client.read_pdu() for _ in range(20)]
        # Ten resps one after another would take 200 ms.
        assert time.monotonic() - started < 0.15

        resps = {p.sequence: p for p in pdus if p.command == "submit_sm_resp"}
        assert sorted(resps) == sorted(sequences)
        ids = [resps[seq].message_id.decode() for seq in sequences]
        assert len(set(ids)) == 10
        receipts = [p for p in pdus if p.command == "deliver_sm"]
        position = {p.message_id: i for i, p in enumerate(pdus) if p.command == "submit_sm_resp"}
        for receipt in receipts:
            message_id = receipt.receipted_message_id.decode()
            assert pdus.index(receipt) > position[receipt.receipted_message_id]
            assert receipt.esm_class == 0x04
            assert receipt.message_state == 2
            assert receipt.destination_addr == b"1069001001"
            assert receipt.short_message.startswith(f"id:{message_id} sub:001 dlvrd:001 submit date:".encode())
            assert b" stat:DELIVRD err:000 text:" in receipt.short_message
            ack(client, receipt)
        assert sorted(r.receipted_message_id.decode() for r in receipts) == sorted(ids)

        smsc.wait_for(lambda events: len(of_kind(events, "deliver_sm_resp")) == 10)
        submits = smsc.submits()
        assert [s["sequence"] for s in submits] == sequences
        assert submits[0]["short_message"] == b"hello".hex()
        assert submits[0]["message_id"] == ids[0]
        assert max(s["at"] for s in submits) - min(s["at"] for s in submits) < 0.1


def test_receipt_can_come_before_the_resp_and_in_decimal_without_the_tlv():
    options = {"resp_delay_ms": 50, "receipt_before_resp": True, "receipt_id_format": "decimal"}
    with SmscPeer(**options) as smsc, bound(smsc) as client:
        submit(client, "13800138000")
        receipt = client.read_pdu()
        resp = client.read_pdu()
    assert (receipt.command, resp.command) == ("deliver_sm", "submit_sm_resp")
    assert receipt.receipted_message_id is None
    assert receipt.message_state == 2
    assert receipt.short_message.startswith(f"id:{int(resp.message_id, 16)} ".encode())


def test_mixed_receipts_and_error_statuses():
    with SmscPeer(receipts="mixed", throttle_tps=4, reject_prefix="999") as smsc, bound(smsc) as client:
        destinations = ["13800138000", "13800138001", "99912345678", "13800138002", "13800138003", "13800138004"]
        for destination in destinations:
            submit(client, destination)
        statuses, states = [], {}
        while len(statuses) < 6 or len(states) < 3:
            pdu = client.read_pdu()
            if pdu.command == "submit_sm_resp":
                statuses.append(pdu.status)
            else:
                states[pdu.source_addr.decode()] = pdu.message_state
                ack(client, pdu)
        assert statuses == [0, 0, ESME_RINVDSTADR, 0, ESME_RTHROTTLED, ESME_RTHROTTLED]
        assert states == {"13800138000": 2, "13800138001": 5, "13800138002": 2}

        smsc.set(throttle_tps=0, msgqful_every=2)
        submit(client, "13800138005", receipt=False)
        submit(client, "13800138006", receipt=False)
        assert [client.read_pdu().status for _ in range(2)] == [0, ESME_RMSGQFUL]

        stats = smsc.stats()
        assert stats["submits"] == 8
        assert stats["by_status"] == {0: 4, ESME_RINVDSTADR: 1, ESME_RTHROTTLED: 2, ESME_RMSGQFUL: 1}
        assert stats["throttled"] == 2
        assert stats["destinations"] == 8
        assert stats["max_per_second"] >= 6
        assert sum(stats["per_second"].values()) == 8


def test_drop_after_cuts_the_connection_once_and_unacked_receipts_come_again():
    with SmscPeer(drop_after=3) as smsc:
        with bound(smsc) as client:
            submit(client, "13800138000")
            first = [client.read_pdu() for _ in range(2)]
            submit(client, "13800138001", receipt=False)
            submit(client, "13800138002")
            assert client.read_pdu().command == "submit_sm_resp"
            with pytest.raises(smpplib.exceptions.ConnectionError):
                client.read_pdu()
        smsc.wait_for(lambda events: of_kind(events, "dropped"))
        receipt = next(p for p in first if p.command == "deliver_sm")

        with bound(smsc) as client:
            again = client.read_pdu()
            assert again.command == "deliver_sm"
            assert again.receipted_message_id == receipt.receipted_message_id
            ack(client, again)
            submit(client, "13800138003", receipt=False)
            assert client.read_pdu().status == 0

            smsc.drop()
            with pytest.raises(smpplib.exceptions.ConnectionError):
                client.read_pdu()
        assert smsc.submits()[2]["status"] is None
        assert [e["redelivery"] for e in smsc.events("receipt")] == [False, True]


def test_mo_in_gsm_and_ucs2_with_a_retry_and_raw_bytes():
    with SmscPeer() as smsc, bound(smsc) as client:
        gsm = smsc.send_mo("+8613800138000", "1069001001", text="JF @£€", repeat=2)
        ucs2 = smsc.send_mo("+8613800138000", "1069001001", text="积分", data_coding=8)
        raw = smsc.send_mo("+8613800138000", "1069001001", hex="ff00fe", data_coding=4)
        pdus = [client.read_pdu() for _ in range(4)]
        for pdu, status in zip(pdus, [0, 0, 0, 0x64], strict=True):
            ack(client, pdu, status)

        assert [p.short_message for p in pdus] == [
            b"JF \x00\x01\x1be",
            b"JF \x00\x01\x1be",
            "积分".encode("utf-16-be"),
            b"\xff\x00\xfe",
        ]
        assert [p.data_coding for p in pdus] == [0, 0, 8, 4]
        assert pdus[0].sequence != pdus[1].sequence
        assert pdus[0].source_addr == b"+8613800138000"
        assert pdus[0].esm_class == 0

        smsc.wait_for(lambda events: len(of_kind(events, "deliver_sm_resp")) == 4)
        statuses = [(e["ref"], e["command_status"]) for e in smsc.events("deliver_sm_resp")]
        assert statuses == [(gsm, 0), (gsm, 0), (ucs2, 0), (raw, 0x64)]


def test_bind_needs_the_password_and_a_black_hole_stops_answering():
    with SmscPeer(no_resp_after=1) as smsc:
        client = smpplib.client.Client("127.0.0.1", smsc.port, timeout=2, allow_unknown_opt_params=True)
        client.connect()
        try:
            with pytest.raises(smpplib.exceptions.PDUError) as refused:
                client.bind_transceiver(system_id=SYSTEM_ID, password="wrong")
            assert refused.value.args[1] == ESME_RBINDFAIL
        finally:
            client.disconnect()

        with bound(smsc, timeout=0.3) as client:
            submit(client, "13800138000", receipt=False)
            assert client.read_pdu().status == 0
            submit(client, "13800138001", receipt=False)
            client.send_pdu(smpplib.smpp.make_pdu("enquire_link", client=client))
            with pytest.raises(socket.timeout):
                client.read_pdu()

            smsc.unbind()
            client._socket.settimeout(2)
            unbind = client.read_pdu()
            assert unbind.command == "unbind"
            resp = smpplib.smpp.make_pdu("unbind_resp", client=client)
            resp.sequence = unbind.sequence
            client.send_pdu(resp)
            with pytest.raises(smpplib.exceptions.ConnectionError):
                client.read_pdu()
        assert [e["answered"] for e in smsc.events("enquire_link")] == [False]
        assert smsc.stats()["unanswered"] == 1


def test_missing_node_modules_says_how_to_install_them(monkeypatch, tmp_path):
    monkeypatch.setattr(tests.smsc_peer, "SMSC_DIR", tmp_path)
    with pytest.raises(SmscPeerError, match="make test"):
        SmscPeer().start()


def test_a_bad_option_fails_with_the_servers_message():
    with pytest.raises(SmscPeerError, match="unknown option --no-such-option"):
        SmscPeer(no_such_option=1).start()
