// Kontaktcenter agent console: queue, conversations, notes, call-back tickets and agent management.
//
// Security: everything that comes from the server (and so from talents) is put into the page with
// textContent / createTextNode only, never as HTML. Links are only made from http(s) URLs. The page works
// under `default-src 'self'; script-src 'self'; style-src 'self'` (no inline script, style or handlers).
"use strict";
(function () {
  const API = "/api/v1/agent/";
  const LANG_KEY = "ihs-console-lang";

  // ---------------------------------------------------------------- strings
  const STRINGS = {
    en: {
      doc_title: "Kontaktcenter console – International House Stockholm",
      skip: "Skip to main content",
      app_name: "Kontaktcenter console",
      lang_group: "Language",
      signed_in_as: "Signed in as",
      logout: "Log out",
      nav_label: "Console sections",
      nav_queue: "Queue",
      nav_tickets: "Call-back tickets",
      nav_agents: "Agents",
      conn_open: "Live updates on",
      conn_connecting: "Connecting…",
      conn_closed: "Live updates off – reconnecting",
      login_title: "Log in",
      login_intro: "For kontaktcenter agents of International House Stockholm.",
      username: "Username",
      password: "Password",
      login_button: "Log in",
      login_missing: "Enter your username and password.",
      login_wrong: "Wrong username or password.",
      login_throttled: "Too many attempts. Try again in {s} seconds.",
      login_throttled_later: "Too many attempts. Try again later.",
      session_expired: "Your session has ended. Please log in again.",
      logged_out: "You have logged out.",
      network_error: "The server cannot be reached. Check the connection and try again.",
      queue_title: "Queue",
      waiting_title: "Waiting for a person",
      mine_title: "My conversations",
      all_active_title: "Active conversations",
      queue_empty: "Nobody is waiting.",
      mine_empty: "You have no open conversations.",
      agents_online: "Agents online: {n}",
      no_topic: "No topic",
      waiting: "Waiting {t}",
      waited: "Queued {t} ago",
      lbl_language: "Language",
      lbl_channel: "Channel",
      lbl_reason: "Reason",
      lbl_agent: "Agent",
      claim: "Claim",
      open: "Open",
      new_message: "New message",
      announce_new_queue: "New in the queue: {topic}, {language}, {reason}.",
      announce_new_message: "New message in a conversation of yours: {topic}.",
      claimed: "Conversation claimed.",
      claim_conflict: "Someone else has already taken this conversation.",
      back_to_queue: "← Back to the queue",
      conversation_title: "Conversation",
      conversation_about: "Conversation: {topic}",
      f_language: "Language",
      f_channel: "Channel",
      f_topic: "Topic",
      f_reason: "Reason",
      f_agent: "Agent",
      nobody: "Nobody yet",
      state_queued: "Waiting in the queue",
      state_active: "Active",
      state_closed: "Closed",
      state_none: "With the bot",
      state_offered: "Person offered",
      summary_title: "Summary",
      no_summary: "No summary yet.",
      transcript_title: "Transcript",
      who_user: "Talent",
      who_bot: "Bot",
      who_agent: "Agent",
      who_system: "System",
      buttons_offered: "Buttons offered: {list}",
      checked: "checked {date}",
      typing: "The talent is typing…",
      reply_title: "Reply to the talent",
      reply_label: "Message",
      reply_hint: "Enter sends, Shift+Enter starts a new line.",
      reply_off_queued: "Claim the conversation to reply.",
      reply_off_other: "This conversation is assigned to another agent.",
      reply_off_closed: "This conversation is closed.",
      canned_label: "Canned replies",
      canned_choose: "Choose a reply…",
      canned_none: "No canned replies",
      canned_insert: "Insert",
      send: "Send",
      reply_empty: "Write a message first.",
      articles_title: "Articles the bot used",
      articles_empty: "None.",
      notes_title: "Private notes",
      notes_hint: "Only agents see notes; the talent never does.",
      notes_empty: "No notes yet.",
      note_label: "New note",
      note_add: "Add note",
      note_empty: "Write the note first.",
      note_added: "Note added.",
      tools_label: "Conversation tools",
      transfer_title: "Transfer",
      transfer_username: "Agent's username",
      transfer_agent: "Agent",
      transfer_choose: "Choose an agent…",
      transfer_button: "Transfer",
      transfer_empty: "Choose the agent to transfer to.",
      transferred: "Transferred to {name}.",
      close_title: "Hand back to the bot",
      close_hint: "The bot resumes and asks the talent for a rating.",
      close_button: "Close conversation",
      close_confirm_title: "Close this conversation?",
      close_confirm_text: "The talent goes back to the bot, which asks for a rating. You cannot reply after closing.",
      close_confirm: "Close conversation",
      cancel: "Cancel",
      closed_done: "Conversation closed. The bot has taken over again.",
      tickets_title: "Call-back tickets",
      refresh: "Refresh",
      tickets_empty: "No call-back tickets.",
      ticket_title: "Call-back request {id}",
      ticket_email: "E-mail",
      ticket_created: "Left",
      ticket_status_open: "Open",
      ticket_status_done: "Done",
      mark_done: "Mark done",
      ticket_marked: "Ticket marked as done.",
      agents_title: "Agents",
      agents_list_title: "All agents",
      display_name: "Display name",
      role: "Role",
      status: "Status",
      actions: "Actions",
      role_agent: "Agent",
      role_supervisor: "Supervisor",
      active: "Active",
      inactive: "Deactivated",
      edit: "Edit",
      edit_label: "Edit {name}",
      deactivate: "Deactivate",
      deactivate_label: "Deactivate {name}",
      deactivated: "{name} is deactivated.",
      agent_form_title: "Create or update an agent",
      password_hint: "At least 12 characters. Leave empty to keep an existing agent's password.",
      save_agent: "Save agent",
      agent_saved: "Saved {name}.",
      agent_missing: "Fill in the username.",
      you: "(you)",
      err_400: "The request was not accepted.",
      err_401: "Your session has ended. Please log in again.",
      err_403: "You are not allowed to do that.",
      err_404: "Not found. It may have been removed.",
      err_409: "That has changed in the meantime. The view is updated.",
      err_413: "The text is too long.",
      err_422: "Some of the input is not valid.",
      err_429: "Too many requests. Wait a moment.",
      err_other: "Something went wrong on the server. Try again.",
      channel_web: "Web chat",
      channel_telegram: "Telegram",
      reason_human_handoff: "Asked for a person",
      reason_case_specific: "Question about their own case",
      reason_complaint: "Complaint",
      reason_emergency: "Emergency",
      reason_fallback: "The bot could not answer",
      reason_none: "Not given",
      dur_s: "{s} s",
      dur_m: "{m} min",
      dur_h: "{h} h {m} min",
    },
    sv: {
      doc_title: "Kontaktcenterkonsol – International House Stockholm",
      skip: "Hoppa till huvudinnehållet",
      app_name: "Kontaktcenterkonsol",
      lang_group: "Språk",
      signed_in_as: "Inloggad som",
      logout: "Logga ut",
      nav_label: "Konsolens delar",
      nav_queue: "Kö",
      nav_tickets: "Återuppringningar",
      nav_agents: "Handläggare",
      conn_open: "Liveuppdateringar på",
      conn_connecting: "Ansluter…",
      conn_closed: "Liveuppdateringar av – ansluter igen",
      login_title: "Logga in",
      login_intro: "För kontaktcentrets handläggare på International House Stockholm.",
      username: "Användarnamn",
      password: "Lösenord",
      login_button: "Logga in",
      login_missing: "Fyll i användarnamn och lösenord.",
      login_wrong: "Fel användarnamn eller lösenord.",
      login_throttled: "För många försök. Försök igen om {s} sekunder.",
      login_throttled_later: "För många försök. Försök igen senare.",
      session_expired: "Din session har upphört. Logga in igen.",
      logged_out: "Du har loggat ut.",
      network_error: "Servern går inte att nå. Kontrollera anslutningen och försök igen.",
      queue_title: "Kö",
      waiting_title: "Väntar på en person",
      mine_title: "Mina samtal",
      all_active_title: "Pågående samtal",
      queue_empty: "Ingen väntar.",
      mine_empty: "Du har inga pågående samtal.",
      agents_online: "Handläggare inloggade: {n}",
      no_topic: "Inget ämne",
      waiting: "Väntat {t}",
      waited: "Köade för {t} sedan",
      lbl_language: "Språk",
      lbl_channel: "Kanal",
      lbl_reason: "Anledning",
      lbl_agent: "Handläggare",
      claim: "Ta samtalet",
      open: "Öppna",
      new_message: "Nytt meddelande",
      announce_new_queue: "Ny i kön: {topic}, {language}, {reason}.",
      announce_new_message: "Nytt meddelande i ett av dina samtal: {topic}.",
      claimed: "Du har tagit samtalet.",
      claim_conflict: "Någon annan har redan tagit det här samtalet.",
      back_to_queue: "← Tillbaka till kön",
      conversation_title: "Samtal",
      conversation_about: "Samtal: {topic}",
      f_language: "Språk",
      f_channel: "Kanal",
      f_topic: "Ämne",
      f_reason: "Anledning",
      f_agent: "Handläggare",
      nobody: "Ingen ännu",
      state_queued: "Väntar i kön",
      state_active: "Pågående",
      state_closed: "Avslutat",
      state_none: "Hos boten",
      state_offered: "Person erbjuden",
      summary_title: "Sammanfattning",
      no_summary: "Ingen sammanfattning ännu.",
      transcript_title: "Samtalslogg",
      who_user: "Talang",
      who_bot: "Bot",
      who_agent: "Handläggare",
      who_system: "System",
      buttons_offered: "Knappar som erbjöds: {list}",
      checked: "kontrollerad {date}",
      typing: "Talangen skriver…",
      reply_title: "Svara talangen",
      reply_label: "Meddelande",
      reply_hint: "Enter skickar, Skift+Enter ger en ny rad.",
      reply_off_queued: "Ta samtalet för att kunna svara.",
      reply_off_other: "Samtalet är tilldelat en annan handläggare.",
      reply_off_closed: "Samtalet är avslutat.",
      canned_label: "Standardsvar",
      canned_choose: "Välj ett svar…",
      canned_none: "Inga standardsvar",
      canned_insert: "Infoga",
      send: "Skicka",
      reply_empty: "Skriv ett meddelande först.",
      articles_title: "Artiklar som boten använde",
      articles_empty: "Inga.",
      notes_title: "Privata anteckningar",
      notes_hint: "Bara handläggare ser anteckningarna, aldrig talangen.",
      notes_empty: "Inga anteckningar ännu.",
      note_label: "Ny anteckning",
      note_add: "Lägg till anteckning",
      note_empty: "Skriv anteckningen först.",
      note_added: "Anteckningen har lagts till.",
      tools_label: "Verktyg för samtalet",
      transfer_title: "Överlämna",
      transfer_username: "Handläggarens användarnamn",
      transfer_agent: "Handläggare",
      transfer_choose: "Välj handläggare…",
      transfer_button: "Överlämna",
      transfer_empty: "Välj vem samtalet ska lämnas över till.",
      transferred: "Överlämnat till {name}.",
      close_title: "Lämna tillbaka till boten",
      close_hint: "Boten tar över igen och ber talangen betygsätta samtalet.",
      close_button: "Avsluta samtalet",
      close_confirm_title: "Avsluta samtalet?",
      close_confirm_text: "Talangen går tillbaka till boten, som ber om ett betyg. Du kan inte svara efter att samtalet avslutats.",
      close_confirm: "Avsluta samtalet",
      cancel: "Avbryt",
      closed_done: "Samtalet är avslutat. Boten har tagit över igen.",
      tickets_title: "Återuppringningar",
      refresh: "Uppdatera",
      tickets_empty: "Inga återuppringningar.",
      ticket_title: "Återuppringning {id}",
      ticket_email: "E-post",
      ticket_created: "Lämnad",
      ticket_status_open: "Öppen",
      ticket_status_done: "Klar",
      mark_done: "Markera som klar",
      ticket_marked: "Återuppringningen är markerad som klar.",
      agents_title: "Handläggare",
      agents_list_title: "Alla handläggare",
      display_name: "Visningsnamn",
      role: "Roll",
      status: "Status",
      actions: "Åtgärder",
      role_agent: "Handläggare",
      role_supervisor: "Arbetsledare",
      active: "Aktiv",
      inactive: "Avaktiverad",
      edit: "Redigera",
      edit_label: "Redigera {name}",
      deactivate: "Avaktivera",
      deactivate_label: "Avaktivera {name}",
      deactivated: "{name} är avaktiverad.",
      agent_form_title: "Skapa eller uppdatera en handläggare",
      password_hint: "Minst 12 tecken. Lämna tomt för att behålla en befintlig handläggares lösenord.",
      save_agent: "Spara handläggare",
      agent_saved: "{name} har sparats.",
      agent_missing: "Fyll i användarnamnet.",
      you: "(du)",
      err_400: "Begäran godtogs inte.",
      err_401: "Din session har upphört. Logga in igen.",
      err_403: "Du får inte göra det.",
      err_404: "Hittades inte. Det kan ha tagits bort.",
      err_409: "Det har ändrats under tiden. Vyn har uppdaterats.",
      err_413: "Texten är för lång.",
      err_422: "En del av uppgifterna är ogiltiga.",
      err_429: "För många förfrågningar. Vänta en stund.",
      err_other: "Något gick fel på servern. Försök igen.",
      channel_web: "Webbchatt",
      channel_telegram: "Telegram",
      reason_human_handoff: "Bad om en person",
      reason_case_specific: "Fråga om sitt eget ärende",
      reason_complaint: "Klagomål",
      reason_emergency: "Nödsituation",
      reason_fallback: "Boten kunde inte svara",
      reason_none: "Inte angiven",
      dur_s: "{s} s",
      dur_m: "{m} min",
      dur_h: "{h} tim {m} min",
    },
  };

  function initialLang() {
    let stored = null;
    try { stored = window.localStorage.getItem(LANG_KEY); } catch (e) { stored = null; }
    if (stored === "sv" || stored === "en") return stored;
    const nav = (navigator.language || "en").toLowerCase();
    return nav === "sv" || nav.indexOf("sv-") === 0 ? "sv" : "en";
  }

  let uiLang = initialLang();

  function t(key, params) {
    let s = STRINGS[uiLang][key];
    if (s === undefined) s = STRINGS.en[key];
    if (s === undefined) s = key;
    if (params) {
      Object.keys(params).forEach(function (name) { s = s.split("{" + name + "}").join(String(params[name])); });
    }
    return s;
  }

  function locale() { return uiLang === "sv" ? "sv-SE" : "en-GB"; }

  // ---------------------------------------------------------------- DOM helpers
  const $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);  // text only, never HTML
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function safeUrl(url) {
    if (typeof url !== "string") return null;
    try {
      const parsed = new URL(url, window.location.origin);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch (e) { return null; }
  }

  function link(url, text) {
    const href = safeUrl(url);
    if (!href) return el("span", "", text);
    const a = el("a", "", text);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  function announce(text) {
    const box = $("announcer");
    box.textContent = "";
    // A fresh text node after a tick makes screen readers announce repeated messages too.
    window.setTimeout(function () { box.textContent = text; }, 50);
  }

  function setError(id, text) { $(id).textContent = text || ""; }

  function nameOf(who) {
    if (!who) return "";
    if (typeof who === "string") return who;
    return who.display_name || who.username || "";
  }

  function languageName(code) {
    if (!code) return "–";
    let name = code;
    try {
      const names = new Intl.DisplayNames([locale()], {type: "language"});
      name = names.of(code) || code;
    } catch (e) { name = code; }
    return name.charAt(0).toLocaleUpperCase(locale()) + name.slice(1) + " (" + code + ")";
  }

  function channelName(channel) {
    const key = "channel_" + channel;
    return STRINGS.en[key] ? t(key) : String(channel || "–");
  }

  function reasonName(reason) {
    if (!reason) return t("reason_none");
    const key = "reason_" + reason;
    return STRINGS.en[key] ? t(key) : String(reason).replace(/_/g, " ");
  }

  function stateName(state) {
    const key = "state_" + state;
    return STRINGS.en[key] ? t(key) : String(state);
  }

  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    if (s < 60) return t("dur_s", {s: s});
    const m = Math.floor(s / 60);
    if (m < 60) return t("dur_m", {m: m});
    return t("dur_h", {h: Math.floor(m / 60), m: m % 60});
  }

  function formatTime(iso, withDate) {
    if (!iso) return "";
    const d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    const opts = withDate ? {dateStyle: "short", timeStyle: "short"} : {hour: "2-digit", minute: "2-digit"};
    try { return new Intl.DateTimeFormat(locale(), opts).format(d); } catch (e) { return d.toISOString(); }
  }

  function timeEl(iso, withDate) {
    const node = el("time", "", formatTime(iso, withDate));
    if (iso) node.dateTime = iso;
    return node;
  }

  // ---------------------------------------------------------------- API
  let me = null;           // {agent: {...}, csrf_token}
  let csrf = null;

  class ApiError extends Error {
    constructor(status, detail, retryAfter) {
      super(detail || ("HTTP " + status));
      this.status = status;
      this.detail = detail;
      this.retryAfter = retryAfter;
    }
  }

  function cookie(name) {
    const parts = document.cookie ? document.cookie.split("; ") : [];
    for (let i = 0; i < parts.length; i++) {
      const eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) return decodeURIComponent(parts[i].slice(eq + 1));
    }
    return null;
  }

  async function api(method, path, body, opts) {
    const headers = {"Accept": "application/json"};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") {
      const token = csrf || cookie("ihs_csrf");
      if (token) headers["X-CSRF-Token"] = token;
    }
    let res;
    try {
      res = await fetch(API + path, {
        method: method, headers: headers, credentials: "same-origin", cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, null, null);
    }
    let data = null;
    if (res.status !== 204) {
      try { data = await res.json(); } catch (e) { data = null; }
    }
    if (!res.ok) {
      const detail = data && typeof data.detail === "string" ? data.detail : null;
      const err = new ApiError(res.status, detail, res.headers.get("Retry-After"));
      if (res.status === 401 && !(opts && opts.noAuthRedirect)) sessionEnded();
      throw err;
    }
    return data;
  }

  function errorText(err) {
    if (!(err instanceof ApiError)) return t("err_other");
    if (err.status === 0) return t("network_error");
    // English detail sentences from the server are the most precise; Swedish gets our own sentence.
    if (uiLang === "en" && err.detail && err.status !== 401) return err.detail;
    const key = "err_" + err.status;
    return STRINGS.en[key] ? t(key) : t("err_other");
  }

  // ---------------------------------------------------------------- state
  let view = null;
  let queue = {queued: [], active: [], agents_online: 0, at: Date.now()};
  let queueLoaded = false;
  const knownQueued = new Set();
  const unread = new Set();
  let current = null;      // {id, detail, messageIds: Set, noteIds: Set}
  let tickets = [];
  let agents = [];
  const cannedCache = {};
  let typingTimer = null;

  function isSupervisor() { return !!(me && me.agent && me.agent.role === "supervisor"); }

  // ---------------------------------------------------------------- i18n application
  function applyStrings() {
    document.documentElement.lang = uiLang;
    document.title = t("doc_title");
    document.querySelectorAll("[data-i18n]").forEach(function (node) {
      node.textContent = t(node.getAttribute("data-i18n"));
    });
    document.querySelectorAll("[data-i18n-aria-label]").forEach(function (node) {
      node.setAttribute("aria-label", t(node.getAttribute("data-i18n-aria-label")));
    });
    $("lang-switch").setAttribute("aria-label", t("lang_group"));
    document.querySelectorAll(".lang").forEach(function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-lang") === uiLang ? "true" : "false");
    });
  }

  function setLang(lang) {
    if (lang !== "sv" && lang !== "en") return;
    uiLang = lang;
    try { window.localStorage.setItem(LANG_KEY, lang); } catch (e) { /* private mode: not remembered */ }
    applyStrings();
    renderWho();
    renderConnection();
    renderQueue();
    if (current && current.detail) {
      renderConversation(current.detail, {keepTranscript: false});
      reloadConversation();  // the summary and article titles come in the agent's language
    }
    if (view === "tickets") renderTickets();
    if (view === "agents") renderAgents();
  }

  // ---------------------------------------------------------------- views
  const VIEWS = ["login", "queue", "conversation", "tickets", "agents"];
  const TITLES = {login: "login-title", queue: "queue-title", conversation: "conv-title",
    tickets: "tickets-title", agents: "agents-title"};

  function showView(name, focus) {
    view = name;
    VIEWS.forEach(function (v) { $("view-" + v).hidden = v !== name; });
    const loggedIn = !!me;
    $("nav").hidden = !loggedIn;
    $("who").hidden = !loggedIn;
    ["queue", "tickets", "agents"].forEach(function (v) {
      const a = $("nav-" + v);
      if (v === name || (name === "conversation" && v === "queue")) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    });
    if (name !== "conversation") current = null;
    if (focus !== false) {
      const heading = $(TITLES[name]);
      if (heading) heading.focus();
    }
  }

  function route(focus) {
    if (!me) { showView("login", focus); return; }
    const hash = window.location.hash || "#queue";
    const match = /^#c\/([\w-]+)$/.exec(hash);
    if (match) { openConversation(match[1], focus); return; }
    if (hash === "#tickets") { showView("tickets", focus); loadTickets(); return; }
    if (hash === "#agents" && isSupervisor()) { showView("agents", focus); loadAgents(); return; }
    if (hash === "#queue" || VIEWS.indexOf(hash.slice(1)) >= 0 || hash === "#agents") {
      showView("queue", focus);
      loadQueue();
      return;
    }
    // Any other fragment (such as the skip link's) leaves the view as it is.
    if (!view || view === "login") { showView("queue", focus); loadQueue(); }
  }

  function go(hash) {
    if (window.location.hash === hash) route(true);
    else window.location.hash = hash;  // hashchange routes and moves focus
  }

  // ---------------------------------------------------------------- session
  function renderWho() {
    if (!me) return;
    $("who-name").textContent = nameOf(me.agent);
    $("who-role").textContent = isSupervisor() ? t("role_supervisor") : "";
    $("nav-agents-item").hidden = !isSupervisor();
  }

  function loggedIn(data) {
    me = data;
    csrf = data.csrf_token || cookie("ihs_csrf");
    setError("global-error", "");
    setError("login-error", "");
    renderWho();
    connect();
    startTimers();
  }

  function loggedOut(message) {
    me = null;
    csrf = null;
    current = null;
    queueLoaded = false;
    knownQueued.clear();
    unread.clear();
    disconnect();
    stopTimers();
    clear($("queued-list"));
    clear($("mine-list"));
    $("login-form").reset();
    showView("login", true);
    setError("login-error", message || "");
  }

  let ending = false;
  function sessionEnded() {
    if (!me || ending) return;
    ending = true;
    loggedOut(t("session_expired"));
    ending = false;
  }

  async function start() {
    applyStrings();
    try {
      const data = await api("GET", "me", undefined, {noAuthRedirect: true});
      loggedIn(data);
      route(false);
    } catch (err) {
      showView("login", false);
      if (err instanceof ApiError && err.status !== 401) setError("login-error", errorText(err));
    }
  }

  async function onLogin(event) {
    event.preventDefault();
    const username = $("login-username").value.trim();
    const password = $("login-password").value;
    setError("login-error", "");
    if (!username || !password) {
      setError("login-error", t("login_missing"));
      (username ? $("login-password") : $("login-username")).focus();
      return;
    }
    const button = $("login-submit");
    button.disabled = true;
    try {
      const data = await api("POST", "login", {username: username, password: password}, {noAuthRedirect: true});
      $("login-password").value = "";
      loggedIn(data);
      if (window.location.hash && window.location.hash !== "#queue" && window.location.hash !== "#main") {
        route(true);
      } else {
        go("#queue");
      }
    } catch (err) {
      let text;
      if (err.status === 401 || err.status === 403) text = t("login_wrong");
      else if (err.status === 429) {
        const s = parseInt(err.retryAfter, 10);
        text = isNaN(s) ? t("login_throttled_later") : t("login_throttled", {s: s});
      } else text = errorText(err);
      setError("login-error", text);
      $("login-password").value = "";
      $("login-password").focus();
    } finally {
      button.disabled = false;
    }
  }

  async function onLogout() {
    try { await api("POST", "logout", {}, {noAuthRedirect: true}); } catch (e) { /* leaving anyway */ }
    // The next person to log in here starts at the queue, not at the view the last one left open.
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    loggedOut(t("logged_out"));
  }

  // ---------------------------------------------------------------- live updates
  let socket = null;
  let socketState = "closed";
  let retries = 0;
  let reconnectTimer = null;
  let wantSocket = false;

  function renderConnection() {
    const node = $("connection");
    node.setAttribute("data-state", socketState);
    node.textContent = t("conn_" + socketState);
  }

  function setSocketState(state) {
    socketState = state;
    renderConnection();
  }

  function connect() {
    wantSocket = true;
    if (socket) return;
    if (reconnectTimer) { window.clearTimeout(reconnectTimer); reconnectTimer = null; }
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    let ws;
    try {
      ws = new WebSocket(scheme + window.location.host + API + "ws");
    } catch (e) {
      scheduleReconnect();
      return;
    }
    socket = ws;
    setSocketState("connecting");
    ws.addEventListener("open", function () {
      if (socket !== ws) return;
      retries = 0;
      setSocketState("open");
      refreshAll();  // whatever happened while we were away
    });
    ws.addEventListener("message", function (event) {
      if (socket !== ws) return;
      let data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (data && typeof data === "object") onEvent(data);
    });
    ws.addEventListener("close", function () {
      if (socket !== ws) return;
      socket = null;
      setSocketState("closed");
      if (wantSocket && me) scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    if (reconnectTimer) return;
    const delay = Math.min(30000, 1000 * Math.pow(2, retries)) + Math.floor(Math.random() * 500);
    retries = Math.min(retries + 1, 10);
    reconnectTimer = window.setTimeout(async function () {
      reconnectTimer = null;
      if (!me || !wantSocket) return;
      try {
        await api("GET", "me");  // a 401 here ends the session and shows the login form
      } catch (err) {
        if (err.status !== 0 || !me) return;  // network still down: try again later
        scheduleReconnect();
        return;
      }
      if (me) connect();
    }, delay);
  }

  function disconnect() {
    wantSocket = false;
    if (reconnectTimer) { window.clearTimeout(reconnectTimer); reconnectTimer = null; }
    if (socket) {
      const ws = socket;
      socket = null;
      try { ws.close(); } catch (e) { /* already closed */ }
    }
    setSocketState("closed");
  }

  function onEvent(event) {
    const id = event.conversation_id;
    const isCurrent = current && id && current.id === id;
    switch (event.type) {
      case "queue":
        scheduleQueueLoad();
        break;
      case "message":
        if (isCurrent && event.message) {
          appendMessage(event.message, true);
          if (event.message.role === "user") hideTyping();
        } else if (id && event.message && event.message.role === "user" && isMine(id)) {
          unread.add(id);
          const item = findActive(id);
          announce(t("announce_new_message", {topic: item && item.topic_title ? item.topic_title : t("no_topic")}));
          renderQueue();
        }
        scheduleQueueLoad();
        break;
      case "handoff":
        if (isCurrent && current.detail && event.state === "closed") {
          current.detail.conversation.state = "closed";
          renderConversation(current.detail, {keepTranscript: true});
        } else if (isCurrent) {
          reloadConversation();
        }
        scheduleQueueLoad();
        break;
      case "tickets":
        if (view === "tickets") loadTickets();
        break;
      case "note":
        if (isCurrent && event.note) appendNote(event.note);
        break;
      case "typing":
        if (isCurrent) showTyping();
        break;
      default:
        break;
    }
  }

  function refreshAll() {
    if (!me) return;
    loadQueue();
    if (view === "conversation" && current) reloadConversation();
    if (view === "tickets") loadTickets();
    if (view === "agents") loadAgents();
  }

  // ---------------------------------------------------------------- timers
  let tickTimer = null;
  let pollTimer = null;

  function startTimers() {
    stopTimers();
    tickTimer = window.setInterval(updateWaiting, 5000);
    // A safety net when the websocket is down: the queue is still refreshed now and then.
    pollTimer = window.setInterval(function () { if (socketState !== "open") loadQueue(); }, 20000);
  }

  function stopTimers() {
    if (tickTimer) window.clearInterval(tickTimer);
    if (pollTimer) window.clearInterval(pollTimer);
    tickTimer = pollTimer = null;
  }

  // ---------------------------------------------------------------- queue
  let queueLoadTimer = null;
  let queueLoading = null;

  function scheduleQueueLoad() {
    if (queueLoadTimer) return;
    queueLoadTimer = window.setTimeout(function () { queueLoadTimer = null; loadQueue(); }, 250);
  }

  async function loadQueue() {
    if (!me) return;
    if (queueLoading) return queueLoading;
    queueLoading = (async function () {
      try {
        const data = await api("GET", "queue");
        queue = {queued: data.queued || [], active: data.active || [], agents_online: data.agents_online || 0,
          at: Date.now()};
        announceNewQueued();
        queueLoaded = true;
        setError("global-error", "");
        renderQueue();
      } catch (err) {
        if (err.status !== 401) setError("global-error", errorText(err));
      } finally {
        queueLoading = null;
      }
    })();
    return queueLoading;
  }

  function announceNewQueued() {
    const fresh = queue.queued.filter(function (item) { return !knownQueued.has(item.conversation_id); });
    knownQueued.clear();
    queue.queued.forEach(function (item) { knownQueued.add(item.conversation_id); });
    if (!queueLoaded) return;  // the first load is not news
    fresh.forEach(function (item) {
      announce(t("announce_new_queue", {topic: item.topic_title || t("no_topic"),
        language: languageName(item.language), reason: reasonName(item.reason)}));
    });
  }

  function isMine(id) { return !!findActive(id); }
  function findActive(id) {
    for (let i = 0; i < queue.active.length; i++) if (queue.active[i].conversation_id === id) return queue.active[i];
    return null;
  }

  function waitingText(item) {
    const elapsed = (Date.now() - queue.at) / 1000;
    return t("waiting", {t: duration((item.waiting_seconds || 0) + elapsed)});
  }

  function updateWaiting() {
    document.querySelectorAll("[data-waiting-for]").forEach(function (node) {
      const id = node.getAttribute("data-waiting-for");
      const item = queue.queued.concat(queue.active).filter(function (q) { return q.conversation_id === id; })[0];
      if (item) node.textContent = waitingText(item);
    });
  }

  function queueItem(item, index, kind) {
    const li = el("li", "item reason-" + String(item.reason || "none").replace(/[^\w-]/g, ""));
    li.setAttribute("data-conversation-id", item.conversation_id);
    li.setAttribute("data-language", item.language || "");
    const titleId = kind + "-item-" + index;
    const head = el("div", "item-head");
    const title = el("h3", "item-title", item.topic_title || t("no_topic"));
    title.id = titleId;
    head.appendChild(title);
    if (kind === "queued") {
      const waiting = el("span", "waiting", waitingText(item));
      waiting.setAttribute("data-waiting-for", item.conversation_id);
      head.appendChild(waiting);
    } else if (unread.has(item.conversation_id)) {
      head.appendChild(el("span", "tag urgent", t("new_message")));
    }
    li.appendChild(head);

    const facts = el("ul", "item-facts");
    const lang = el("li", "", t("lbl_language") + ": " + languageName(item.language));
    lang.className = "fact-language";
    facts.appendChild(lang);
    facts.appendChild(el("li", "fact-channel", t("lbl_channel") + ": " + channelName(item.channel)));
    const reason = el("li", "fact-reason", t("lbl_reason") + ": ");
    const urgent = item.reason === "emergency" || item.reason === "complaint";
    reason.appendChild(el("span", urgent ? "tag urgent" : "tag", reasonName(item.reason)));
    facts.appendChild(reason);
    if (kind === "active" && isSupervisor()) {
      facts.appendChild(el("li", "fact-agent", t("lbl_agent") + ": " + (nameOf(item.agent) || t("nobody"))));
    }
    li.appendChild(facts);

    // A button's payload (such as "/affirm") says nothing about what the talent needs.
    if (item.preview && !/^\/[\w-]+(\s\S*)?$/.test(item.preview)) {
      const preview = el("p", "item-preview", item.preview);
      preview.dir = "auto";
      if (item.language) preview.lang = item.language;
      li.appendChild(preview);
    }

    const actions = el("div", "item-actions");
    const button = el("button", kind === "queued" ? "claim" : "open secondary", t(kind === "queued" ? "claim" : "open"));
    button.type = "button";
    button.setAttribute("aria-describedby", titleId);
    button.addEventListener("click", function () {
      if (kind === "queued") claim(item.conversation_id, button);
      else go("#c/" + item.conversation_id);
    });
    actions.appendChild(button);
    li.appendChild(actions);
    return li;
  }

  function renderQueue() {
    if (!me) return;
    // Keep focus on the same control when the list is rebuilt under the keyboard user.
    const active = document.activeElement;
    let focusKey = null;
    if (active && active.closest) {
      const li = active.closest("[data-conversation-id]");
      if (li && (li.parentNode === $("queued-list") || li.parentNode === $("mine-list"))) {
        focusKey = [li.parentNode.id, li.getAttribute("data-conversation-id")];
      }
    }
    const queuedList = $("queued-list");
    const mineList = $("mine-list");
    clear(queuedList);
    clear(mineList);
    queue.queued.forEach(function (item, i) { queuedList.appendChild(queueItem(item, i, "queued")); });
    queue.active.forEach(function (item, i) { mineList.appendChild(queueItem(item, i, "active")); });
    $("queued-empty").hidden = queue.queued.length > 0;
    $("mine-empty").hidden = queue.active.length > 0;
    $("queued-count").textContent = "(" + queue.queued.length + ")";
    $("mine-count").textContent = "(" + queue.active.length + ")";
    $("mine-title").firstChild.textContent = t(isSupervisor() ? "all_active_title" : "mine_title");
    $("agents-online").textContent = t("agents_online", {n: queue.agents_online});
    if (focusKey) {
      const again = $(focusKey[0]).querySelector('[data-conversation-id="' + cssEscape(focusKey[1]) + '"] button');
      if (again) again.focus();
    }
  }

  function cssEscape(value) {
    return window.CSS && window.CSS.escape ? window.CSS.escape(value) : String(value).replace(/[^\w-]/g, "");
  }

  async function claim(id, button) {
    if (button) button.disabled = true;
    setError("global-error", "");
    try {
      const detail = await api("POST", "conversations/" + encodeURIComponent(id) + "/claim", {});
      announce(t("claimed"));
      showConversation(detail);
      if (uiLang !== "en") reloadConversation();
      if (window.location.hash !== "#c/" + id) {
        skipNextRoute = "#c/" + id;
        window.location.hash = "#c/" + id;
      }
      loadQueue();
    } catch (err) {
      if (button) button.disabled = false;
      if (err.status === 401) return;
      const text = err.status === 409 ? t("claim_conflict") : errorText(err);
      if (view === "conversation") setError("conv-error", text);
      else setError("global-error", text);
      loadQueue();
      if (view === "conversation" && current) reloadConversation();
    }
  }

  // ---------------------------------------------------------------- conversation
  let skipNextRoute = null;

  async function openConversation(id, focus) {
    showView("conversation", false);
    setError("conv-error", "");
    try {
      const detail = await api("GET", detailPath(id));
      showConversation(detail, focus);
    } catch (err) {
      if (err.status === 401) return;
      current = {id: id, detail: null, messageIds: new Set(), noteIds: new Set()};
      setError("conv-error", errorText(err));
      if (focus !== false) $("conv-title").focus();
    }
  }

  function showConversation(detail, focus) {
    if (view !== "conversation") showView("conversation", false);
    current = {id: detail.conversation.conversation_id, detail: null, messageIds: new Set(), noteIds: new Set(),
      lost: false};
    unread.delete(current.id);
    $("reply-text").value = "";
    $("note-text").value = "";
    setError("conv-error", "");
    setError("reply-error", "");
    setError("note-error", "");
    setError("transfer-error", "");
    hideTyping();
    renderConversation(detail, {keepTranscript: false});
    loadCanned(detail.conversation.language);
    if (isSupervisor()) loadTransferAgents();
    if (focus !== false) $("conv-title").focus();
  }

  function detailPath(id) {
    return "conversations/" + encodeURIComponent(id) + "?lang=" + uiLang;
  }

  async function reloadConversation() {
    if (!current) return;
    const id = current.id;
    try {
      const detail = await api("GET", detailPath(id));
      if (current && current.id === id) renderConversation(detail, {keepTranscript: false});
    } catch (err) {
      if (err.status === 401 || !current || current.id !== id) return;
      if (err.status === 403 && current.detail) {
        // Transferred to someone else or closed: keep what we have, but nothing more can be done here.
        current.lost = true;
        renderConversation(current.detail, {keepTranscript: true});
      } else {
        setError("conv-error", errorText(err));
      }
    }
  }

  function renderConversation(detail, opts) {
    if (!current) return;
    current.detail = detail;
    const c = detail.conversation;
    const mine = !current.lost && !!(c.agent && me && c.agent.username === me.agent.username);
    $("conv-title").textContent = t("conversation_about", {topic: c.topic_title || t("no_topic")});
    $("conv-state").textContent = stateName(c.state);
    $("conv-state").setAttribute("data-state", c.state);
    $("conv-language").textContent = languageName(c.language);
    $("conv-channel").textContent = channelName(c.channel);
    $("conv-topic").textContent = c.topic_title || c.topic || t("no_topic");
    $("conv-reason").textContent = reasonName(c.reason);
    $("conv-agent").textContent = nameOf(c.agent) || t("nobody");
    $("conv-claim-row").hidden = c.state !== "queued";
    $("conv-claim").disabled = false;

    const summary = $("conv-summary");
    summary.textContent = detail.summary || t("no_summary");
    summary.dir = "auto";

    const articles = $("conv-articles");
    clear(articles);
    (detail.articles || []).forEach(function (a) {
      const li = el("li");
      li.appendChild(link(a.url, a.title || a.topic || a.url));
      articles.appendChild(li);
    });
    $("conv-articles-empty").hidden = (detail.articles || []).length > 0;

    if (!opts || !opts.keepTranscript) {
      clear($("transcript"));
      current.messageIds = new Set();
      (detail.messages || []).forEach(function (m) { appendMessage(m, false); });
      scrollTranscript();
    }

    clear($("conv-notes"));
    current.noteIds = new Set();
    (detail.notes || []).forEach(function (n) { appendNote(n); });
    renderNotesEmpty();

    const canReply = c.state === "active" && mine;
    const form = $("reply-form");
    let off = $("reply-off");
    if (!off) {
      off = el("p", "muted");
      off.id = "reply-off";
      $("reply-card").insertBefore(off, form);
    }
    form.hidden = !canReply;
    off.hidden = canReply;
    off.textContent = c.state === "queued" ? t("reply_off_queued")
      : c.state === "active" || current.lost ? t("reply_off_other") : t("reply_off_closed");

    const canManage = c.state === "active" && !current.lost && (mine || isSupervisor());
    $("transfer-card").hidden = !canManage;
    $("close-card").hidden = !canManage;
    $("transfer-text-field").hidden = isSupervisor();
    $("transfer-select-field").hidden = !isSupervisor();
  }

  function whoLabel(m) {
    if (m.role === "agent") {
      const name = nameOf(m.meta && m.meta.agent);
      return name ? t("who_agent") + " · " + name : t("who_agent");
    }
    return t("who_" + m.role) === "who_" + m.role ? String(m.role) : t("who_" + m.role);
  }

  function appendMessage(m, live) {
    if (!current) return;
    const key = m.id !== undefined && m.id !== null ? String(m.id) : null;
    if (key && current.messageIds.has(key)) return;
    if (key) current.messageIds.add(key);
    const role = ["user", "bot", "agent", "system"].indexOf(m.role) >= 0 ? m.role : "system";
    const box = el("div", "msg msg-" + role);
    box.setAttribute("data-role", role);
    if (key) box.setAttribute("data-message-id", key);
    const head = el("p", "msg-head");
    head.appendChild(el("span", "msg-who", whoLabel(m)));
    head.appendChild(timeEl(m.created_at, false));
    box.appendChild(head);
    const text = el("p", "msg-text", m.text || "");
    text.dir = "auto";
    if (m.language) text.lang = m.language;
    box.appendChild(text);
    if (m.buttons && m.buttons.length) {
      box.appendChild(el("p", "msg-extra", t("buttons_offered", {list: m.buttons.map(function (b) {
        return b.title;
      }).join(", ")})));
    }
    if (m.sources && m.sources.length) {
      const list = el("ul", "msg-extra");
      m.sources.forEach(function (s) {
        const li = el("li");
        li.appendChild(link(s.url, s.title || s.url));
        if (s.reviewed) li.appendChild(document.createTextNode(" (" + t("checked", {date: s.reviewed}) + ")"));
        list.appendChild(li);
      });
      box.appendChild(list);
    }
    $("transcript").appendChild(box);
    if (live) scrollTranscript();
  }

  function scrollTranscript() {
    const log = $("transcript");
    log.scrollTop = log.scrollHeight;
  }

  function appendNote(n) {
    if (!current) return;
    const key = n.id !== undefined && n.id !== null ? String(n.id) : null;
    if (key && current.noteIds.has(key)) return;
    if (key) current.noteIds.add(key);
    const li = el("li", "note");
    if (key) li.setAttribute("data-note-id", key);
    const text = el("p", "note-text", n.text || "");
    text.dir = "auto";
    li.appendChild(text);
    const meta = el("p", "note-meta", nameOf(n.agent) + " · ");
    meta.appendChild(timeEl(n.created_at, true));
    li.appendChild(meta);
    $("conv-notes").appendChild(li);
    renderNotesEmpty();
  }

  function renderNotesEmpty() {
    let empty = $("conv-notes-empty");
    if (!empty) {
      empty = el("p", "muted");
      empty.id = "conv-notes-empty";
      $("conv-notes").parentNode.insertBefore(empty, $("conv-notes").nextSibling);
    }
    empty.textContent = t("notes_empty");
    empty.hidden = $("conv-notes").children.length > 0;
  }

  function showTyping() {
    $("typing").textContent = t("typing");
    if (typingTimer) window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(hideTyping, 5000);
  }

  function hideTyping() {
    if (typingTimer) window.clearTimeout(typingTimer);
    typingTimer = null;
    $("typing").textContent = "";
  }

  async function sendReply(event) {
    if (event) event.preventDefault();
    if (!current) return;
    const box = $("reply-text");
    const text = box.value.trim();
    setError("reply-error", "");
    if (!text) { setError("reply-error", t("reply_empty")); box.focus(); return; }
    const id = current.id;
    const button = $("reply-send");
    button.disabled = true;
    try {
      const message = await api("POST", "conversations/" + encodeURIComponent(id) + "/messages", {text: text});
      if (current && current.id === id) {
        box.value = "";
        if (message) appendMessage(message, true);
      }
    } catch (err) {
      if (err.status !== 401) {
        setError("reply-error", errorText(err));
        if (err.status === 403 || err.status === 409) reloadConversation();
      }
    } finally {
      button.disabled = false;
      box.focus();
    }
  }

  function onReplyKey(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !event.altKey && !event.ctrlKey
        && !event.metaKey) {
      event.preventDefault();
      sendReply();
    }
  }

  async function addNote(event) {
    event.preventDefault();
    if (!current) return;
    const box = $("note-text");
    const text = box.value.trim();
    setError("note-error", "");
    if (!text) { setError("note-error", t("note_empty")); box.focus(); return; }
    const id = current.id;
    $("note-add").disabled = true;
    try {
      const note = await api("POST", "conversations/" + encodeURIComponent(id) + "/notes", {text: text});
      if (current && current.id === id) {
        box.value = "";
        if (note) appendNote(note);
        announce(t("note_added"));
      }
    } catch (err) {
      if (err.status !== 401) setError("note-error", errorText(err));
    } finally {
      $("note-add").disabled = false;
    }
  }

  async function loadCanned(language) {
    const select = $("canned-select");
    const fill = function (replies) {
      clear(select);
      const first = el("option", "", replies.length ? t("canned_choose") : t("canned_none"));
      first.value = "";
      select.appendChild(first);
      replies.forEach(function (r, i) {
        const option = el("option", "", r.title);
        option.value = String(i);
        select.appendChild(option);
      });
      select.disabled = !replies.length;
      $("canned-insert").disabled = !replies.length;
      select.cannedReplies = replies;
    };
    fill([]);
    const lang = language || "en";
    try {
      let replies = await cannedFor(lang);
      if (!replies.length && lang !== "en") replies = await cannedFor("en");
      if (current && current.detail && current.detail.conversation.language === language) fill(replies);
    } catch (err) { /* the picker stays empty; replying still works */ }
  }

  async function cannedFor(lang) {
    if (cannedCache[lang]) return cannedCache[lang];
    const data = await api("GET", "canned?language=" + encodeURIComponent(lang));
    const replies = (data && data.replies) || [];
    cannedCache[lang] = replies;
    return replies;
  }

  function insertCanned() {
    const select = $("canned-select");
    const replies = select.cannedReplies || [];
    const chosen = replies[parseInt(select.value, 10)];
    const box = $("reply-text");
    if (!chosen) { select.focus(); return; }
    const start = box.selectionStart || 0;
    const end = box.selectionEnd || 0;
    const before = box.value.slice(0, start);
    const glue = before && !/\s$/.test(before) ? " " : "";
    box.value = before + glue + chosen.text + box.value.slice(end);
    const caret = (before + glue + chosen.text).length;
    box.focus();
    box.setSelectionRange(caret, caret);
  }

  async function loadTransferAgents() {
    try {
      const data = await api("GET", "agents");
      agents = (data && data.agents) || [];
    } catch (err) { agents = []; }
    const select = $("transfer-select");
    clear(select);
    const first = el("option", "", t("transfer_choose"));
    first.value = "";
    select.appendChild(first);
    agents.filter(function (a) { return a.active && (!me || a.username !== me.agent.username); })
      .forEach(function (a) {
        const option = el("option", "", a.display_name + " (" + a.username + ")");
        option.value = a.username;
        select.appendChild(option);
      });
  }

  async function transfer(event) {
    event.preventDefault();
    if (!current) return;
    const username = (isSupervisor() ? $("transfer-select").value : $("transfer-username").value).trim();
    setError("transfer-error", "");
    if (!username) {
      setError("transfer-error", t("transfer_empty"));
      (isSupervisor() ? $("transfer-select") : $("transfer-username")).focus();
      return;
    }
    const id = current.id;
    $("transfer-submit").disabled = true;
    try {
      const detail = await api("POST", "conversations/" + encodeURIComponent(id) + "/transfer", {username: username});
      $("transfer-username").value = "";
      if (current && current.id === id) renderConversation(detail, {keepTranscript: false});
      announce(t("transferred", {name: nameOf(detail.conversation.agent) || username}));
      $("conv-title").focus();
      loadQueue();
    } catch (err) {
      if (err.status !== 401) setError("transfer-error", errorText(err));
    } finally {
      $("transfer-submit").disabled = false;
    }
  }

  function askClose() {
    const dialog = $("close-dialog");
    dialog.returnValue = "";
    dialog.showModal();
    $("close-cancel").focus();
  }

  async function onCloseDialog() {
    const dialog = $("close-dialog");
    if (dialog.returnValue !== "confirm" || !current) {
      if (!$("close-card").hidden) $("conv-close").focus();
      return;
    }
    const id = current.id;
    try {
      const detail = await api("POST", "conversations/" + encodeURIComponent(id) + "/close", {});
      if (current && current.id === id) renderConversation(detail, {keepTranscript: false});
      if (uiLang !== "en") reloadConversation();
      announce(t("closed_done"));
      loadQueue();
    } catch (err) {
      if (err.status !== 401) setError("conv-error", errorText(err));
      reloadConversation();
    }
    $("conv-title").focus();
  }

  // ---------------------------------------------------------------- tickets
  async function loadTickets() {
    setError("tickets-error", "");
    try {
      const data = await api("GET", "tickets");
      tickets = (data && data.tickets) || [];
      renderTickets();
    } catch (err) {
      if (err.status !== 401) setError("tickets-error", errorText(err));
    }
  }

  function renderTickets() {
    const list = $("tickets-list");
    clear(list);
    const ordered = tickets.filter(function (x) { return x.status !== "done"; })
      .concat(tickets.filter(function (x) { return x.status === "done"; }));
    ordered.forEach(function (ticket, i) {
      const li = el("li", "item ticket" + (ticket.status === "done" ? " done" : ""));
      li.setAttribute("data-ticket-id", String(ticket.id));
      const head = el("div", "item-head");
      const title = el("h2", "item-title", t("ticket_title", {id: ticket.id}));
      title.id = "ticket-title-" + i;
      head.appendChild(title);
      head.appendChild(el("span", ticket.status === "done" ? "tag" : "tag urgent",
        t(ticket.status === "done" ? "ticket_status_done" : "ticket_status_open")));
      li.appendChild(head);
      const question = el("p", "ticket-question", ticket.question || "");
      question.dir = "auto";
      if (ticket.language) question.lang = ticket.language;
      li.appendChild(question);
      const facts = el("ul", "item-facts");
      facts.appendChild(el("li", "", t("ticket_email") + ": " + (ticket.email || "–")));
      facts.appendChild(el("li", "", t("lbl_language") + ": " + languageName(ticket.language)));
      facts.appendChild(el("li", "", t("lbl_channel") + ": " + channelName(ticket.channel)));
      const created = el("li", "", t("ticket_created") + ": ");
      created.appendChild(timeEl(ticket.created_at, true));
      facts.appendChild(created);
      li.appendChild(facts);
      if (ticket.status !== "done") {
        const actions = el("div", "item-actions");
        const button = el("button", "secondary", t("mark_done"));
        button.type = "button";
        button.setAttribute("aria-describedby", title.id);
        button.addEventListener("click", function () { markDone(ticket.id, button); });
        actions.appendChild(button);
        li.appendChild(actions);
      }
      list.appendChild(li);
    });
    $("tickets-empty").hidden = tickets.length > 0;
  }

  async function markDone(id, button) {
    button.disabled = true;
    try {
      const updated = await api("POST", "tickets/" + encodeURIComponent(id) + "/done", {});
      tickets = tickets.map(function (x) { return x.id === id ? (updated || Object.assign({}, x, {status: "done"})) : x; });
      renderTickets();
      announce(t("ticket_marked"));
      const next = $("tickets-list").querySelector(".item-actions button");
      (next || $("tickets-title")).focus();
    } catch (err) {
      button.disabled = false;
      if (err.status !== 401) setError("tickets-error", errorText(err));
    }
  }

  // ---------------------------------------------------------------- agents (supervisors)
  async function loadAgents() {
    setError("agents-error", "");
    try {
      const data = await api("GET", "agents");
      agents = (data && data.agents) || [];
      renderAgents();
    } catch (err) {
      if (err.status !== 401) setError("agents-error", errorText(err));
    }
  }

  function renderAgents() {
    const body = $("agents-body");
    clear(body);
    agents.forEach(function (a) {
      const tr = el("tr");
      tr.setAttribute("data-username", a.username);
      const th = el("th", "", a.username);
      th.scope = "row";
      tr.appendChild(th);
      tr.appendChild(el("td", "", a.display_name));
      tr.appendChild(el("td", "", t(a.role === "supervisor" ? "role_supervisor" : "role_agent")));
      const isMe = me && a.username === me.agent.username;
      tr.appendChild(el("td", "", t(a.active ? "active" : "inactive") + (isMe ? " " + t("you") : "")));
      const actions = el("td", "item-actions");
      const edit = el("button", "secondary", t("edit"));
      edit.type = "button";
      edit.setAttribute("aria-label", t("edit_label", {name: a.username}));
      edit.addEventListener("click", function () {
        $("agent-username").value = a.username;
        $("agent-display").value = a.display_name || "";
        $("agent-role").value = a.role === "supervisor" ? "supervisor" : "agent";
        $("agent-password").value = "";
        $("agent-password").focus();
      });
      actions.appendChild(edit);
      if (a.active && !isMe) {
        const off = el("button", "danger", t("deactivate"));
        off.type = "button";
        off.setAttribute("aria-label", t("deactivate_label", {name: a.username}));
        off.addEventListener("click", function () { deactivate(a.username, off); });
        actions.appendChild(off);
      }
      tr.appendChild(actions);
      body.appendChild(tr);
    });
  }

  async function deactivate(username, button) {
    button.disabled = true;
    setError("agents-error", "");
    try {
      await api("POST", "agents/" + encodeURIComponent(username) + "/deactivate", {});
      announce(t("deactivated", {name: username}));
      await loadAgents();
      $("agents-list-title").setAttribute("tabindex", "-1");
      $("agents-list-title").focus();
    } catch (err) {
      button.disabled = false;
      if (err.status !== 401) setError("agents-error", errorText(err));
    }
  }

  async function saveAgent(event) {
    event.preventDefault();
    const body = {
      username: $("agent-username").value.trim(),
      display_name: $("agent-display").value.trim(),
      password: $("agent-password").value,
      role: $("agent-role").value,
    };
    setError("agent-form-error", "");
    $("agent-form-status").textContent = "";
    if (!body.password) delete body.password;  // an existing agent keeps their password
    if (!body.display_name) delete body.display_name;
    if (!body.username) {
      setError("agent-form-error", t("agent_missing"));
      return;
    }
    $("agent-save").disabled = true;
    try {
      const saved = await api("POST", "agents", body);
      $("agent-form").reset();
      $("agent-form-status").textContent = t("agent_saved", {name: (saved && saved.username) || body.username});
      await loadAgents();
    } catch (err) {
      if (err.status !== 401) setError("agent-form-error", errorText(err));
    } finally {
      $("agent-save").disabled = false;
    }
  }

  // ---------------------------------------------------------------- wiring
  function wire() {
    document.querySelectorAll(".lang").forEach(function (button) {
      button.addEventListener("click", function () { setLang(button.getAttribute("data-lang")); });
    });
    document.querySelector(".skip-link").addEventListener("click", function (event) {
      event.preventDefault();
      const heading = view && $(TITLES[view]);
      ($("main")).focus();
      if (heading && !heading.closest("[hidden]")) heading.focus();
    });
    $("login-form").addEventListener("submit", onLogin);
    $("logout").addEventListener("click", onLogout);
    $("reply-form").addEventListener("submit", sendReply);
    $("reply-text").addEventListener("keydown", onReplyKey);
    $("canned-insert").addEventListener("click", insertCanned);
    $("note-form").addEventListener("submit", addNote);
    $("transfer-form").addEventListener("submit", transfer);
    $("conv-close").addEventListener("click", askClose);
    $("close-dialog").addEventListener("close", onCloseDialog);
    $("conv-claim").addEventListener("click", function () { if (current) claim(current.id, $("conv-claim")); });
    $("tickets-refresh").addEventListener("click", loadTickets);
    $("agent-form").addEventListener("submit", saveAgent);
    window.addEventListener("hashchange", function () {
      if (skipNextRoute && window.location.hash === skipNextRoute) { skipNextRoute = null; return; }
      skipNextRoute = null;
      route(true);
    });
    // Nav links that point at the view already shown still move focus to its heading.
    document.querySelectorAll("#nav a, #conv-back").forEach(function (a) {
      a.addEventListener("click", function (event) {
        if (window.location.hash === a.getAttribute("href")) { event.preventDefault(); route(true); }
      });
    });
    window.addEventListener("unhandledrejection", function (event) {
      // Every call handles its own errors; this only keeps a stray rejection from going unnoticed.
      if (event.reason instanceof ApiError) event.preventDefault();
    });
  }

  function init() {
    wire();
    start();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
