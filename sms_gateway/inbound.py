"""From a `deliver_sm` to a stored inbound message: strip the header, decode by data_coding, store."""

from __future__ import annotations

from mcrm.messaging.inbound import receive_many
from sms_gateway.encoding import ESM_UDHI, decode_text, split_udh
from sms_gateway.events import InboundStored


def store_pdus(pdus: list, events=None) -> bool:
    """Store inbound PDUs in one transaction; True once they are safely in the database (duplicates
    included). The new ones are announced on `events` for the router."""
    texts = []
    for pdu in pdus:
        payload, concat = pdu.payload, None
        if pdu.esm_class & ESM_UDHI:
            payload, concat = split_udh(payload)
        texts.append((pdu.destination, pdu.source, decode_text(payload, pdu.data_coding), concat))
    for message_id in receive_many(texts):
        if message_id is not None and events is not None:
            events.put(InboundStored(message_id))
    return True
