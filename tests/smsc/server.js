'use strict';
// A scriptable SMPP 3.4 SMSC for the test suite and benchmarks.
// Driven by JSON lines on stdin, reports JSON lines on stdout, exits when stdin closes
// so that it can never outlive the test that started it. tests/smsc_peer.py wraps it.

const readline = require('readline');
const smpp = require('smpp');

const ESME_ROK = 0x00;
const ESME_RINVBNDSTS = 0x04;
const ESME_RALYBND = 0x05;
const ESME_RINVDSTADR = 0x0b;
const ESME_RBINDFAIL = 0x0d;
const ESME_RMSGQFUL = 0x14;
const ESME_RTHROTTLED = 0x58;

const DELIVERED = 2;
const UNDELIVERABLE = 5;

// Keep the bytes as they came off the wire: node-smpp would otherwise decode short_message
// (lossily, GSM unknowns become spaces) and turn time fields into Date objects, and the
// tests want to see exactly what the client sent.
const raw = {encode: (v) => v, decode: (v) => v};
for (const command of ['submit_sm', 'deliver_sm']) {
  const params = smpp.commands[command].params;
  params.short_message.filter = raw;
  params.schedule_delivery_time.filter = raw;
  params.validity_period.filter = raw;
}
smpp.tlvs.message_payload.filter = raw;

// ---------------------------------------------------------------- options

const OPTIONS = {
  port: {type: 'int', value: 2775},
  host: {type: 'str', value: '127.0.0.1'},
  resp_delay_ms: {type: 'int', value: 0},
  receipts: {type: 'enum', values: ['delivrd', 'undeliv', 'none', 'mixed'], value: 'delivrd'},
  receipt_delay_ms: {type: 'int', value: 0},
  receipt_before_resp: {type: 'flag', value: false},
  receipt_id_format: {type: 'enum', values: ['same', 'decimal'], value: 'same'},
  receipt_tlv_only: {type: 'flag', value: false},
  receipt_text_only: {type: 'flag', value: false},
  throttle_tps: {type: 'int', value: 0},
  msgqful_every: {type: 'int', value: 0},
  reject_prefix: {type: 'str', value: ''},
  drop_after: {type: 'int', value: 0},
  no_resp_after: {type: 'int', value: -1},
  system_id: {type: 'str', value: 'mcrm'},
  password: {type: 'str', value: 'secret'},
  quiet: {type: 'flag', value: false},
};

function coerce(name, value) {
  const spec = OPTIONS[name];
  if (!spec) throw new Error(`unknown option ${name}`);
  switch (spec.type) {
    case 'flag':
      return value === true || value === 'true' || value === 1;
    case 'int': {
      const n = Number(value);
      if (!Number.isInteger(n) || n < -1) throw new Error(`option ${name} wants an integer, got ${value}`);
      return n;
    }
    case 'enum':
      if (!spec.values.includes(value)) throw new Error(`option ${name} wants one of ${spec.values.join('|')}, got ${value}`);
      return value;
    default:
      return String(value);
  }
}

function validate(o) {
  if (o.receipt_tlv_only && o.receipt_text_only) {
    throw new Error('--receipt-tlv-only and --receipt-text-only exclude each other');
  }
  if (o.receipt_tlv_only && o.receipt_id_format === 'decimal') {
    throw new Error('--receipt-id-format decimal drops the TLV, so --receipt-tlv-only would leave no id at all');
  }
}

function parseArgs(argv) {
  const o = {};
  for (const [name, spec] of Object.entries(OPTIONS)) o[name] = spec.value;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    let name = arg.slice(2);
    let value;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    name = name.replace(/-/g, '_');
    if (!OPTIONS[name]) throw new Error(`unknown option ${arg}`);
    if (OPTIONS[name].type === 'flag') {
      o[name] = value === undefined ? true : coerce(name, value);
    } else {
      if (value === undefined) {
        if (i + 1 >= argv.length) throw new Error(`option ${arg} needs a value`);
        value = argv[++i];
      }
      o[name] = coerce(name, value);
    }
  }
  validate(o);
  return o;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`smsc: ${e.message}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------- events

// stdout to a pipe is synchronous on Linux: one write per event would cost a syscall per
// PDU, so events are batched and flushed once per turn of the event loop.
let outBuffer = [];
let flushScheduled = false;

function flush() {
  flushScheduled = false;
  if (outBuffer.length) {
    const chunk = outBuffer.join('');
    outBuffer = [];
    process.stdout.write(chunk);
  }
}

function emit(event, fields) {
  outBuffer.push(JSON.stringify(Object.assign({event}, fields)) + '\n');
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

// ---------------------------------------------------------------- state

const startedAt = Date.now();
const epochMs = () => performance.timeOrigin + performance.now();

const stats = {
  submits: 0,
  by_status: {},
  unanswered: 0,
  throttled: 0,
  receipts_sent: 0,
  mo_sent: 0,
  redeliveries: 0,
  binds: 0,
  bind_failures: 0,
  per_second: {},
  max_per_second: 0,
};
const destinations = new Set();
const acceptedKeys = new Map();

// Times of the events in the last second, oldest first; `head` skips the expired ones
// without shifting the array on every submit.
class SlidingSecond {
  constructor() {
    this.times = [];
    this.head = 0;
  }

  count(now) {
    while (this.head < this.times.length && this.times[this.head] <= now - 1000) this.head++;
    if (this.head > 4096 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    return this.times.length - this.head;
  }

  add(now) {
    this.times.push(now);
    return this.count(now);
  }
}

const arrivals = new SlidingSecond();
// Throttling counts the submits it let through, not the ones it refused: otherwise a client
// that keeps sending a little over the limit would be refused everything, for ever.
const admitted = new SlidingSecond();

let nextMessageId = 0x1f0000a;
let nextSessionId = 1;
let nextRef = 1;
let dropDone = false;
let roundRobin = 0;

const sessions = new Set();
// deliver_sm that no bound receiver could take yet, or that a closed session never acked.
const pending = [];

// ---------------------------------------------------------------- helpers

function later(ms, fn) {
  if (ms > 0) setTimeout(fn, ms);
  else fn();
}

function countStatus(status) {
  stats.by_status[status] = (stats.by_status[status] || 0) + 1;
}

function recordArrival(now) {
  const inWindow = arrivals.add(now);
  if (inWindow > stats.max_per_second) stats.max_per_second = inWindow;
  const second = Math.floor(now / 1000);
  stats.per_second[second] = (stats.per_second[second] || 0) + 1;
}

function parseConcat(pdu, bytes) {
  if (pdu.sar_msg_ref_num !== undefined) {
    return {ref: pdu.sar_msg_ref_num, total: pdu.sar_total_segments, seq: pdu.sar_segment_seqnum, via: 'sar'};
  }
  if (!(pdu.esm_class & 0x40) || !bytes || bytes.length < 1) return null;
  const end = Math.min(bytes.length, bytes[0] + 1);
  let i = 1;
  while (i + 1 < end) {
    const iei = bytes[i];
    const len = bytes[i + 1];
    const body = i + 2;
    if (iei === 0x00 && len === 3 && body + 3 <= end) {
      return {ref: bytes[body], total: bytes[body + 1], seq: bytes[body + 2], via: 'udh8'};
    }
    if (iei === 0x08 && len === 4 && body + 4 <= end) {
      return {ref: bytes.readUInt16BE(body), total: bytes[body + 2], seq: bytes[body + 3], via: 'udh16'};
    }
    i = body + len;
  }
  return null;
}

function hex(buf) {
  if (!buf) return '';
  return Buffer.isBuffer(buf) ? buf.toString('hex') : Buffer.from(String(buf), 'latin1').toString('hex');
}

function receives(session) {
  const s = session.mcrm;
  return s.bound && (s.mode === 'transceiver' || s.mode === 'receiver') && session.socket.writable;
}

function receivingSessions() {
  return [...sessions].filter(receives);
}

function pickReceiver(preferred) {
  if (preferred && receives(preferred)) return preferred;
  const all = receivingSessions();
  if (!all.length) return null;
  return all[roundRobin++ % all.length];
}

function stamp(date) {
  const p = (n) => String(n).padStart(2, '0');
  return (
    p(date.getUTCFullYear() % 100) + p(date.getUTCMonth() + 1) + p(date.getUTCDate()) +
    p(date.getUTCHours()) + p(date.getUTCMinutes())
  );
}

// ---------------------------------------------------------------- deliver_sm (MO and receipts)

// spec: {kind: 'mo'|'receipt', params, ref?, message_id?}; params never carries a sequence
// number so that the same spec can be sent again on another session.
function sendDeliver(session, spec, redelivery) {
  const pdu = new smpp.PDU('deliver_sm', Object.assign({}, spec.params));
  const sent = session.send(pdu, (resp) => {
    session.mcrm.outstanding.delete(pdu.sequence_number);
    if (spec.kind === 'mo' || !opts.quiet) {
      emit('deliver_sm_resp', {
        kind: spec.kind,
        ref: spec.ref,
        message_id: spec.message_id,
        session: session.mcrm.id,
        sequence: pdu.sequence_number,
        command_status: resp.command_status,
      });
    }
  });
  if (!sent) return false;
  session.mcrm.outstanding.set(pdu.sequence_number, spec);
  if (redelivery) stats.redeliveries++;
  if (spec.kind === 'mo') {
    stats.mo_sent++;
    emit('mo', {ref: spec.ref, session: session.mcrm.id, sequence: pdu.sequence_number, redelivery});
  } else {
    stats.receipts_sent++;
    if (!opts.quiet) {
      emit('receipt', {
        message_id: spec.message_id,
        stat: spec.stat,
        source: spec.params.source_addr,
        destination: spec.params.destination_addr,
        session: session.mcrm.id,
        sequence: pdu.sequence_number,
        redelivery,
      });
    }
  }
  return true;
}

function deliverOne(spec, preferred, redelivery) {
  const target = pickReceiver(preferred);
  if (!target || !sendDeliver(target, spec, redelivery)) pending.push({spec, redelivery});
}

function flushPending() {
  while (pending.length) {
    const target = pickReceiver(null);
    if (!target) return;
    const item = pending.shift();
    if (!sendDeliver(target, item.spec, item.redelivery)) {
      pending.unshift(item);
      return;
    }
  }
}

function receiptFor(submit, id) {
  let stat = 'DELIVRD';
  if (opts.receipts === 'undeliv') stat = 'UNDELIV';
  else if (opts.receipts === 'mixed' && /[13579]$/.test(submit.destination_addr)) stat = 'UNDELIV';
  const delivered = stat === 'DELIVRD';
  const textId = opts.receipt_id_format === 'decimal' ? String(parseInt(id, 16)) : id;
  const date = stamp(new Date());
  const text =
    `id:${textId} sub:001 dlvrd:${delivered ? '001' : '000'} submit date:${date} done date:${date} ` +
    `stat:${stat} err:${delivered ? '000' : '001'} text:`;
  const params = {
    source_addr_ton: submit.dest_addr_ton,
    source_addr_npi: submit.dest_addr_npi,
    source_addr: submit.destination_addr,
    dest_addr_ton: submit.source_addr_ton,
    dest_addr_npi: submit.source_addr_npi,
    destination_addr: submit.source_addr,
    esm_class: 0x04,
    data_coding: 0,
    short_message: opts.receipt_tlv_only ? Buffer.alloc(0) : Buffer.from(text, 'ascii'),
  };
  if (!opts.receipt_text_only) {
    if (opts.receipt_id_format === 'same') params.receipted_message_id = id;
    params.message_state = delivered ? DELIVERED : UNDELIVERABLE;
  }
  return {kind: 'receipt', message_id: id, stat, params};
}

function encodeText(text, dataCoding) {
  switch (dataCoding) {
    case 0:
      return smpp.gsmCoder.encode(text, 0);
    case 1:
      return Buffer.from(text, 'ascii');
    case 3:
      return Buffer.from(text, 'latin1');
    case 8:
      return Buffer.from(text, 'utf16le').swap16();
    default:
      throw new Error(`no text encoding for data_coding ${dataCoding}; send "hex" instead`);
  }
}

function moSpec(cmd, ref) {
  const dataCoding = cmd.data_coding === undefined ? 0 : Number(cmd.data_coding);
  let body;
  if (cmd.hex !== undefined) body = Buffer.from(cmd.hex, 'hex');
  else if (cmd.text !== undefined) body = encodeText(String(cmd.text), dataCoding);
  else throw new Error('mo needs "text" or "hex"');
  const params = {
    source_addr_ton: cmd.source_addr_ton || 0,
    source_addr_npi: cmd.source_addr_npi || 0,
    source_addr: String(cmd.from || ''),
    dest_addr_ton: cmd.dest_addr_ton || 0,
    dest_addr_npi: cmd.dest_addr_npi || 0,
    destination_addr: String(cmd.to || ''),
    esm_class: cmd.esm_class || 0,
    data_coding: dataCoding,
  };
  // short_message has a one-byte length; anything longer has to travel in message_payload.
  if (cmd.payload || body.length > 254) {
    params.short_message = Buffer.alloc(0);
    params.message_payload = body;
  } else {
    params.short_message = body;
  }
  return {kind: 'mo', ref, params};
}

// ---------------------------------------------------------------- submit_sm

function onSubmit(session, pdu) {
  const s = session.mcrm;
  const now = epochMs();
  const shortMessage = pdu.short_message;
  const event = {
    at: now / 1000,
    session: s.id,
    sequence: pdu.sequence_number,
    source: pdu.source_addr,
    destination: pdu.destination_addr,
    data_coding: pdu.data_coding,
    esm_class: pdu.esm_class,
    registered_delivery: pdu.registered_delivery,
    short_message: hex(shortMessage),
    concat: parseConcat(pdu, Buffer.isBuffer(shortMessage) ? shortMessage : null),
  };
  if (pdu.message_payload !== undefined) event.message_payload = hex(pdu.message_payload);

  if (!s.bound || s.mode === 'receiver') {
    event.status = ESME_RINVBNDSTS;
    event.message_id = null;
    if (!opts.quiet) emit('submit', event);
    session.send(pdu.response({command_status: ESME_RINVBNDSTS}));
    return;
  }

  stats.submits++;
  s.submits++;
  recordArrival(now);
  destinations.add(pdu.destination_addr);

  if (opts.drop_after > 0 && !dropDone && stats.submits === opts.drop_after) {
    dropDone = true;
    stats.unanswered++;
    event.status = null;
    event.message_id = null;
    if (!opts.quiet) emit('submit', event);
    emit('dropped', {reason: 'drop_after', sessions: [s.id], submits: stats.submits});
    // Answers already given to earlier submits in the same read still go out; only this one is lost.
    session.socket.uncork();
    session.socket.destroy();
    return;
  }
  if (s.blackHoled) {
    stats.unanswered++;
    event.status = null;
    event.message_id = null;
    if (!opts.quiet) emit('submit', event);
    return;
  }

  let status = ESME_ROK;
  if (opts.reject_prefix && pdu.destination_addr.startsWith(opts.reject_prefix)) status = ESME_RINVDSTADR;
  else if (opts.throttle_tps > 0 && admitted.count(now) >= opts.throttle_tps) status = ESME_RTHROTTLED;
  else if (opts.msgqful_every > 0 && stats.submits % opts.msgqful_every === 0) status = ESME_RMSGQFUL;
  if (status === ESME_RTHROTTLED) stats.throttled++;
  else admitted.add(now);
  countStatus(status);

  let id = null;
  if (status === ESME_ROK) {
    id = (nextMessageId++).toString(16);
    const key = event.concat ? `${pdu.destination_addr}#${event.concat.ref}/${event.concat.seq}` : pdu.destination_addr;
    acceptedKeys.set(key, (acceptedKeys.get(key) || 0) + 1);
  }
  event.status = status;
  event.message_id = id;
  if (!opts.quiet) emit('submit', event);

  if (opts.no_resp_after >= 0 && s.submits >= opts.no_resp_after) s.blackHoled = true;

  const resp = status === ESME_ROK ? pdu.response({message_id: id}) : pdu.response({command_status: status});
  const wantReceipt = status === ESME_ROK && opts.receipts !== 'none' && (pdu.registered_delivery & 1) === 1;
  if (!wantReceipt) {
    later(opts.resp_delay_ms, () => session.send(resp));
    return;
  }
  const receipt = receiptFor(pdu, id);
  if (opts.receipt_before_resp) {
    later(opts.receipt_delay_ms, () => {
      if (!session.socket.writable) return;
      deliverOne(receipt, session, false);
      later(Math.max(0, opts.resp_delay_ms - opts.receipt_delay_ms), () => session.send(resp));
    });
  } else {
    later(opts.resp_delay_ms, () => {
      // No resp, no receipt: the client never learnt the id, as with a real SMSC that died.
      if (!session.send(resp)) return;
      later(opts.receipt_delay_ms, () => deliverOne(receipt, session, false));
    });
  }
}

// ---------------------------------------------------------------- sessions

const BIND_MODES = {bind_transceiver: 'transceiver', bind_transmitter: 'transmitter', bind_receiver: 'receiver'};

function onBind(session, pdu) {
  const s = session.mcrm;
  const mode = BIND_MODES[pdu.command];
  let status = ESME_ROK;
  if (s.bound) status = ESME_RALYBND;
  else if (pdu.system_id !== opts.system_id || pdu.password !== opts.password) status = ESME_RBINDFAIL;
  if (status === ESME_ROK) {
    s.bound = true;
    s.mode = mode;
    stats.binds++;
    session.send(pdu.response({system_id: 'mcrm-test-smsc'}));
  } else {
    stats.bind_failures++;
    session.send(pdu.response({command_status: status}));
  }
  emit('bind', {session: s.id, mode, system_id: pdu.system_id, status, ok: status === ESME_ROK});
  if (status === ESME_ROK) flushPending();
}

function onSession(session) {
  const s = {
    id: nextSessionId++,
    bound: false,
    mode: null,
    submits: 0,
    blackHoled: opts.no_resp_after === 0,
    outstanding: new Map(),
    unbinding: false,
  };
  session.mcrm = s;
  sessions.add(session);
  session.socket.setNoDelay(true);
  // Responses to a burst of pipelined submits go out in one segment instead of one each.
  session.socket.prependListener('readable', () => {
    session.socket.cork();
    process.nextTick(() => session.socket.uncork());
  });
  emit('connect', {session: s.id, remote_port: session.socket.remotePort});

  session.on('pdu', (pdu) => {
    switch (pdu.command) {
      case 'submit_sm':
        onSubmit(session, pdu);
        break;
      case 'bind_transceiver':
      case 'bind_transmitter':
      case 'bind_receiver':
        onBind(session, pdu);
        break;
      case 'enquire_link': {
        const answered = !s.blackHoled;
        if (answered) session.send(pdu.response());
        emit('enquire_link', {session: s.id, sequence: pdu.sequence_number, answered});
        break;
      }
      case 'unbind':
        emit('unbind', {session: s.id, by: 'client'});
        s.bound = false;
        session.send(pdu.response(), () => session.close());
        break;
      case 'unbind_resp':
        session.close();
        break;
      case 'deliver_sm_resp':
      case 'enquire_link_resp':
      case 'generic_nack':
        break;
      default:
        if (!pdu.isResponse()) session.send(pdu.response({command_status: 0x03}));
    }
  });
  session.on('error', (e) => {
    // node-smpp stops reading a session after a malformed PDU; end it rather than hang.
    emit('error', {session: s.id, message: e.message});
    session.socket.destroy();
  });
  session.on('close', () => {
    sessions.delete(session);
    const unacked = [...s.outstanding.values()];
    s.outstanding.clear();
    emit('close', {session: s.id, bound: s.bound, submits: s.submits, unacked_deliveries: unacked.length});
    s.bound = false;
    // A real SMSC keeps undelivered receipts and MO and tries again on the next bind.
    for (const spec of unacked) pending.push({spec, redelivery: true});
    flushPending();
  });
}

// ---------------------------------------------------------------- control

function snapshot(ref) {
  const duplicates = {};
  for (const [key, count] of acceptedKeys) if (count > 1) duplicates[key] = count;
  return Object.assign({}, stats, {
    ref,
    destinations: destinations.size,
    accepted_keys: acceptedKeys.size,
    duplicates,
    sessions: [...sessions].filter((x) => x.mcrm.bound).length,
    pending_deliveries: pending.length,
    uptime_s: (Date.now() - startedAt) / 1000,
  });
}

function command(cmd) {
  switch (cmd.cmd) {
    case 'mo': {
      const ref = cmd.ref !== undefined ? cmd.ref : `mo${nextRef++}`;
      const spec = moSpec(cmd, ref);
      const repeat = cmd.repeat === undefined ? 1 : Number(cmd.repeat);
      const targets = receivingSessions();
      for (let i = 0; i < repeat; i++) {
        if (targets.length) for (const target of targets) deliverOne(spec, target, false);
        else pending.push({spec, redelivery: false});
      }
      if (!targets.length) emit('mo_queued', {ref, repeat});
      break;
    }
    case 'drop': {
      const ids = [...sessions].map((x) => x.mcrm.id);
      for (const session of [...sessions]) session.socket.destroy();
      emit('dropped', {reason: 'command', sessions: ids});
      break;
    }
    case 'unbind':
      for (const session of sessions) {
        if (!session.mcrm.bound) continue;
        session.mcrm.bound = false;
        session.unbind();
        emit('unbind', {session: session.mcrm.id, by: 'server'});
        // A client that never answers still loses the connection, as with a real SMSC.
        setTimeout(() => session.socket.destroy(), 2000).unref();
      }
      break;
    case 'stats':
      emit('stats', snapshot(cmd.ref));
      break;
    case 'set': {
      const next = Object.assign({}, opts);
      for (const [key, value] of Object.entries(cmd.options || {})) {
        const name = key.replace(/-/g, '_');
        if (name === 'port' || name === 'host') throw new Error(`${name} cannot change while listening`);
        next[name] = coerce(name, value);
      }
      validate(next);
      opts = next;
      emit('set', {ref: cmd.ref, options: cmd.options});
      break;
    }
    default:
      throw new Error(`unknown command ${JSON.stringify(cmd.cmd)}`);
  }
}

const server = smpp.createServer(onSession);
server.on('error', (e) => {
  process.stderr.write(`smsc: ${e.message}\n`);
  process.exit(1);
});
server.listen(opts.port, opts.host, () => {
  emit('listening', {port: server.address().port, host: opts.host, pid: process.pid});
});

const input = readline.createInterface({input: process.stdin, crlfDelay: Infinity});
input.on('line', (line) => {
  if (!line.trim()) return;
  let cmd;
  try {
    cmd = JSON.parse(line);
    command(cmd);
  } catch (e) {
    emit('error', {ref: cmd && cmd.ref, message: e.message, line});
  }
});
input.on('close', () => {
  flush();
  process.exit(0);
});
