"""From a `deliver_sm` to a stored inbound message: strip the header, decode by data_coding, store."""

from __future__ import annotations

from mcrm.messaging.inbound import receive_sms
from sms_gateway.encoding import ESM_UDHI, decode_text, split_udh
from sms_gateway.events import InboundStored


def store_pdu(pdu, events=None) -> bool:
    """Store an inbound PDU; True once it is safely in the database (duplicates included)."""
    payload, concat = pdu.payload, None
    if pdu.esm_class & ESM_UDHI:
        payload, concat = split_udh(payload)
    text = decode_text(payload, pdu.data_coding)
    message_id = receive_sms(pdu.destination, pdu.source, text, concat=concat)
    if message_id is not None and events is not None:
        events.put(InboundStored(message_id))
    return True
