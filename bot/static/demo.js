// The demo page's chat box: talks to the conversation API exactly as any client does.
"use strict";
(function () {
  const log = document.getElementById("log");
  const form = document.getElementById("ask");
  const input = document.getElementById("text");
  let conversation = null;

  async function start() {
    const res = await fetch("/api/v1/conversations", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({channel: "web"}),
    });
    conversation = await res.json();
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;  // text only: talent input is never HTML
    return node;
  }

  function show(role, reply) {
    const box = el("div", "msg " + role, reply.text);
    (reply.buttons || []).forEach(function (b) {
      const button = el("button", "", b.title);
      button.type = "button";
      button.addEventListener("click", function () { send(b.payload, b.title); });
      box.appendChild(button);
    });
    if (reply.sources && reply.sources.length) {
      const sources = el("div", "sources");
      reply.sources.forEach(function (s) {
        const a = el("a", "", s.title);
        a.href = s.url; a.target = "_blank"; a.rel = "noopener";
        sources.appendChild(a);
        sources.appendChild(el("span", "", " (checked " + s.reviewed + ") "));
      });
      box.appendChild(sources);
    }
    log.appendChild(box);
    log.scrollTop = log.scrollHeight;
  }

  async function send(text, shown) {
    if (!conversation) await start();
    show("user", {text: shown || text});
    const res = await fetch("/api/v1/conversations/" + conversation.conversation_id + "/messages", {
      method: "POST",
      headers: {"Content-Type": "application/json", "Authorization": "Bearer " + conversation.token},
      body: JSON.stringify({text: text, client_message_id: crypto.randomUUID ? crypto.randomUUID() : String(Date.now())}),
    });
    const data = await res.json();
    if (!res.ok) { show("bot", {text: data.detail}); return; }
    data.replies.forEach(function (r) { show("bot", r); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });
})();
