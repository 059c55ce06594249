// The status page's script: fills the page from the live view's JSON pushes and runs the SIP over WebSocket check.
// Plain DOM calls, textContent only (never innerHTML): every value shown comes from the server but is text.
"use strict";

function element(tag, text) {
  const node = document.createElement(tag);
  node.textContent = text === undefined || text === null ? "" : String(text);
  return node;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) {
    tr.appendChild(element("td", cell));
  }
  return tr;
}

function show(snapshot) {
  const info = document.getElementById("info");
  info.replaceChildren();
  for (const [key, value] of Object.entries(snapshot.info)) {
    info.appendChild(element("dt", key));
    const dd = element("dd", value);
    dd.id = "info-" + key;
    info.appendChild(dd);
  }

  document.getElementById("listeners").replaceChildren(
    ...snapshot.listeners.map(l => row([l.listener, l.connections])));
  document.getElementById("connection-count").textContent = String(snapshot.list.length);
  document.getElementById("connections").replaceChildren(
    ...snapshot.list.map(c => row([c.id, c.source, c.destination, c.profile, c.version, c.cipher_description, c.state, c.timeout_seconds])));
  document.getElementById("metrics").replaceChildren(
    ...snapshot.metrics.map(m => row([m.name + (m.unit ? " (" + m.unit + ")" : ""), m.tags, m.value, m.count])));
  document.getElementById("updated").textContent = snapshot.time;
}

function connectLive() {
  const state = document.getElementById("live-state");
  const socket = new WebSocket("wss://" + location.host + "/status", "openssltls.status");
  socket.onopen = () => { state.textContent = "live"; state.className = "live"; };
  socket.onmessage = event => show(JSON.parse(event.data));
  socket.onclose = () => {
    state.textContent = "disconnected, retrying";
    state.className = "down";
    setTimeout(connectLive, 3000);
  };
}

function token(length) {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, b => b.toString(16).padStart(2, "0")).join("");
}

function sendOptions() {
  const status = document.getElementById("sip-status");
  const reply = document.getElementById("sip-reply");
  status.textContent = "connecting";
  reply.textContent = "";
  const host = token(6) + ".invalid";
  const request = [
    "OPTIONS sip:" + location.hostname + ";transport=ws SIP/2.0",
    "Via: SIP/2.0/WSS " + host + ";branch=z9hG4bK" + token(8) + ";rport",
    "Max-Forwards: 70",
    "From: <sip:status@" + host + ">;tag=" + token(4),
    "To: <sip:" + location.hostname + ">",
    "Call-ID: " + token(10),
    "CSeq: 1 OPTIONS",
    "Content-Length: 0",
    "", ""].join("\r\n");
  const socket = new WebSocket("wss://" + location.host + "/", "sip");
  socket.onopen = () => { status.textContent = "sent"; socket.send(request); };
  socket.onmessage = event => {
    const text = String(event.data);
    reply.textContent = text;
    status.textContent = text.split("\r\n")[0];
    socket.close(1000);
  };
  socket.onerror = () => { status.textContent = "WebSocket error"; };
}

document.getElementById("sip-send").addEventListener("click", sendOptions);
connectLive();
sendOptions();
