/*
 * International House Stockholm – the website chat widget.
 *
 * Embed with one tag (defer, from any origin):
 *   <script src="https://HOST/widget.js" data-language="sv" data-title="…" data-color="#1a5fb4"
 *           data-position="right" defer></script>
 *
 * One self-contained file without a build step, so an operator can copy it anywhere. It renders into a
 * shadow root (the host page's CSS cannot reach in, ours cannot leak out) styled with a constructed
 * stylesheet, so it also runs under a strict Content-Security-Policy (script-src 'self'; style-src 'self'):
 * no inline styles, no inline handlers, no eval. Every text from the server or the talent goes into the
 * page as text nodes; the only links are http(s) URLs.
 */
(function () {
  "use strict";

  // document.currentScript is only set while this file first runs: read everything from it now.
  const SCRIPT = document.currentScript;
  const LOADED = Symbol.for("ihs-widget");
  if (!SCRIPT || !SCRIPT.src || window[LOADED]) return;
  window[LOADED] = true;

  // The API lives beside this script, wherever the host page is.
  const BASE = new URL(".", SCRIPT.src);
  const STORAGE_KEY = "ihs-widget:" + BASE.href;
  const CONFIG = {
    language: SCRIPT.dataset.language || "",
    title: (SCRIPT.dataset.title || "").trim() || "International House Stockholm",
    color: SCRIPT.dataset.color || "",
    position: SCRIPT.dataset.position === "left" ? "left" : "right",
  };

  /* ---------------------------------------------------------------- languages and UI strings */

  const LANGS = ["en", "sv", "ar", "fa", "zh", "es", "tr", "ru", "uk", "hi", "de", "fr", "pt", "pl"];
  const RTL = new Set(["ar", "fa"]);
  const NATIVE = {
    en: "English", sv: "Svenska", ar: "العربية", fa: "فارسی", zh: "中文", es: "Español", tr: "Türkçe",
    ru: "Русский", uk: "Українська", hi: "हिन्दी", de: "Deutsch", fr: "Français", pt: "Português", pl: "Polski",
  };

  // Queue, privacy, typing, sources and "checked on" use the same wording as the bot's own catalogue
  // (bot/messages/<lang>.yml), so the widget and the bot never say the same thing two ways.
  const STRINGS = {
    en: {
      launcher: "Open the chat", launcherNew: "Open the chat – new message", subtitle: "Ask in your own language",
      close: "Close the chat", language: "Language", inputLabel: "Your message", placeholder: "Write your question…",
      send: "Send", typing: "typing…", you: "You", assistant: "Assistant", caseWorker: "Case worker",
      conversation: "Conversation", sources: "Sources", moreSources: "{n} more sources", checkedOn: "Checked on {date}", newTab: "(opens in a new tab)",
      wasHelpful: "Was this answer helpful?", helpful: "Helpful", notHelpful: "Not helpful",
      feedbackThanks: "Thank you for your feedback!", rate: "Rate the help you got", stars: "{n} of 5",
      suggestions: "Suggested replies",
      queued: "You are number {position} in the queue. The estimated wait is about {minutes} minutes.",
      queuedPosition: "You are number {position} in the queue.", waiting: "Waiting for a case worker…",
      active: "You are chatting with a case worker.", closed: "The case worker has left the conversation.",
      privacy: "We store the messages in this chat for 30 days to answer you and improve the service. Please don't share personal identity numbers or details of your case; you can delete the conversation at any time.",
      delete: "Delete my conversation", deleteConfirm: "Delete the whole conversation? This cannot be undone.",
      deleteYes: "Yes, delete", cancel: "Cancel", deleted: "Your conversation has been deleted.",
      errGeneric: "Sorry, something went wrong. Please try again.",
      errNetwork: "We could not reach the service. Please check your connection and try again.",
      errTooLong: "Your message is too long. Please shorten it.",
      errRate: "You are sending messages too quickly. Please wait {seconds} seconds and try again.",
      retry: "Try again", reconnecting: "The connection was lost. Reconnecting…",
    },
    sv: {
      launcher: "Öppna chatten", launcherNew: "Öppna chatten – nytt meddelande", subtitle: "Fråga på ditt eget språk",
      close: "Stäng chatten", language: "Språk", inputLabel: "Ditt meddelande", placeholder: "Skriv din fråga…",
      send: "Skicka", typing: "skriver…", you: "Du", assistant: "Assistent", caseWorker: "Handläggare",
      conversation: "Samtal", sources: "Källor", moreSources: "{n} källor till", checkedOn: "Kontrollerat {date}", newTab: "(öppnas i en ny flik)",
      wasHelpful: "Var svaret till hjälp?", helpful: "Till hjälp", notHelpful: "Inte till hjälp",
      feedbackThanks: "Tack för din återkoppling!", rate: "Betygsätt hjälpen du fick", stars: "{n} av 5",
      suggestions: "Svarsförslag",
      queued: "Du är nummer {position} i kön. Beräknad väntetid är ungefär {minutes} minuter.",
      queuedPosition: "Du är nummer {position} i kön.", waiting: "Väntar på en handläggare…",
      active: "Du chattar med en handläggare.", closed: "Handläggaren har lämnat samtalet.",
      privacy: "Vi sparar meddelandena i chatten i 30 dagar för att kunna svara dig och förbättra tjänsten. Dela inte personnummer eller uppgifter om ditt ärende – du kan radera samtalet när du vill.",
      delete: "Radera mitt samtal", deleteConfirm: "Vill du radera hela samtalet? Det går inte att ångra.",
      deleteYes: "Ja, radera", cancel: "Avbryt", deleted: "Ditt samtal har raderats.",
      errGeneric: "Något gick fel. Försök igen.",
      errNetwork: "Vi kunde inte nå tjänsten. Kontrollera din anslutning och försök igen.",
      errTooLong: "Meddelandet är för långt. Korta ner det och försök igen.",
      errRate: "Du skickar meddelanden för snabbt. Vänta {seconds} sekunder och försök igen.",
      retry: "Försök igen", reconnecting: "Anslutningen bröts. Ansluter igen…",
    },
    ar: {
      launcher: "فتح المحادثة", launcherNew: "فتح المحادثة – رسالة جديدة", subtitle: "اسألوا بلغتكم",
      close: "إغلاق المحادثة", language: "اللغة", inputLabel: "رسالتكم", placeholder: "اكتبوا سؤالكم…",
      send: "إرسال", typing: "يكتب…", you: "أنتم", assistant: "المساعد", caseWorker: "موظف مختص",
      conversation: "المحادثة", sources: "المصادر", moreSources: "مصادر أخرى ({n})", checkedOn: "تم التحقق بتاريخ {date}",
      newTab: "(يُفتح في علامة تبويب جديدة)",
      wasHelpful: "هل كانت هذه الإجابة مفيدة؟", helpful: "مفيدة", notHelpful: "غير مفيدة",
      feedbackThanks: "شكرًا على ملاحظاتكم!", rate: "قيّموا المساعدة التي حصلتم عليها", stars: "{n} من 5",
      suggestions: "ردود مقترحة",
      queued: "ترتيبكم في قائمة الانتظار هو {position}. مدة الانتظار المتوقعة حوالي {minutes} دقيقة.",
      queuedPosition: "ترتيبكم في قائمة الانتظار هو {position}.", waiting: "في انتظار موظف مختص…",
      active: "أنتم الآن تتحدثون مع موظف مختص.", closed: "غادر الموظف المحادثة.",
      privacy: "نحتفظ برسائل هذه الدردشة لمدة 30 يومًا حتى نتمكن من الرد عليكم وتحسين الخدمة. يُرجى عدم مشاركة الرقم الشخصي (personnummer) أو تفاصيل قضاياكم، ويمكنكم حذف المحادثة في أي وقت.",
      delete: "حذف محادثتي", deleteConfirm: "هل تريدون حذف المحادثة بالكامل؟ لا يمكن التراجع عن ذلك.",
      deleteYes: "نعم، احذفها", cancel: "إلغاء", deleted: "تم حذف محادثتكم.",
      errGeneric: "عذرًا، حدث خطأ ما. يُرجى المحاولة مرة أخرى.",
      errNetwork: "تعذّر الاتصال بالخدمة. يُرجى التحقق من اتصالكم بالإنترنت والمحاولة مرة أخرى.",
      errTooLong: "رسالتكم طويلة جدًا. يُرجى اختصارها.",
      errRate: "أنتم ترسلون الرسائل بسرعة كبيرة. يُرجى الانتظار {seconds} ثانية ثم المحاولة مرة أخرى.",
      retry: "إعادة المحاولة", reconnecting: "انقطع الاتصال. جارٍ إعادة الاتصال…",
    },
    fa: {
      launcher: "باز کردن گفت‌وگو", launcherNew: "باز کردن گفت‌وگو – پیام تازه", subtitle: "به زبان خودتان بپرسید",
      close: "بستن گفت‌وگو", language: "زبان", inputLabel: "پیام شما", placeholder: "سؤالتان را بنویسید…",
      send: "ارسال", typing: "در حال نوشتن…", you: "شما", assistant: "دستیار", caseWorker: "کارشناس",
      conversation: "گفت‌وگو", sources: "منابع", moreSources: "{n} منبع دیگر", checkedOn: "بررسی‌شده در {date}",
      newTab: "(در زبانهٔ جدید باز می‌شود)",
      wasHelpful: "آیا این پاسخ مفید بود؟", helpful: "مفید بود", notHelpful: "مفید نبود",
      feedbackThanks: "از نظر شما سپاسگزاریم!", rate: "به کمکی که دریافت کردید نمره دهید", stars: "{n} از 5",
      suggestions: "پاسخ‌های پیشنهادی",
      queued: "شما نفر {position} در صف هستید. زمان انتظار تقریباً {minutes} دقیقه است.",
      queuedPosition: "شما نفر {position} در صف هستید.", waiting: "در انتظار یک کارشناس…",
      active: "شما اکنون با یک کارشناس گفت‌وگو می‌کنید.", closed: "کارشناس گفت‌وگو را ترک کرد.",
      privacy: "پیام‌های این گفت‌وگو را 30 روز نگه می‌داریم تا بتوانیم به شما پاسخ دهیم و خدمات را بهتر کنیم. لطفاً شمارهٔ شخصی (personnummer) یا جزئیات پرونده‌تان را در اینجا ننویسید؛ هر زمان بخواهید می‌توانید گفت‌وگو را پاک کنید.",
      delete: "پاک کردن گفت‌وگوی من", deleteConfirm: "کل گفت‌وگو پاک شود؟ این کار برگشت‌پذیر نیست.",
      deleteYes: "بله، پاک شود", cancel: "انصراف", deleted: "گفت‌وگوی شما پاک شد.",
      errGeneric: "متأسفیم، مشکلی پیش آمد. لطفاً دوباره تلاش کنید.",
      errNetwork: "دسترسی به سرویس ممکن نشد. لطفاً اتصال اینترنت خود را بررسی کنید و دوباره تلاش کنید.",
      errTooLong: "پیام شما بیش از حد طولانی است. لطفاً آن را کوتاه‌تر کنید.",
      errRate: "پیام‌ها را خیلی سریع می‌فرستید. لطفاً {seconds} ثانیه صبر کنید و دوباره تلاش کنید.",
      retry: "تلاش دوباره", reconnecting: "اتصال قطع شد. در حال اتصال دوباره…",
    },
    zh: {
      launcher: "打开聊天", launcherNew: "打开聊天 – 有新消息", subtitle: "欢迎使用您的母语提问",
      close: "关闭聊天", language: "语言", inputLabel: "您的消息", placeholder: "请输入您的问题…",
      send: "发送", typing: "正在输入…", you: "您", assistant: "助手", caseWorker: "工作人员",
      conversation: "对话", sources: "资料来源", moreSources: "另外 {n} 个来源", checkedOn: "核实日期：{date}", newTab: "（在新标签页中打开）",
      wasHelpful: "这个回答对您有帮助吗？", helpful: "有帮助", notHelpful: "没有帮助",
      feedbackThanks: "感谢您的反馈！", rate: "请为您获得的帮助评分", stars: "{n} 分（满分 5 分）",
      suggestions: "建议的回复",
      queued: "您目前排在第 {position} 位，预计等待时间约为 {minutes} 分钟。",
      queuedPosition: "您目前排在第 {position} 位。", waiting: "正在等待工作人员…",
      active: "您正在与工作人员交谈。", closed: "工作人员已离开对话。",
      privacy: "我们会将聊天消息保存 30 天，用于回复您并改进服务。请勿分享 personnummer 或您的案件细节；您可以随时删除对话。",
      delete: "删除我的对话", deleteConfirm: "要删除整个对话吗？此操作无法撤销。",
      deleteYes: "确定删除", cancel: "取消", deleted: "您的对话已删除。",
      errGeneric: "抱歉，出现了问题。请重试。",
      errNetwork: "无法连接到服务。请检查您的网络连接后重试。",
      errTooLong: "您的消息太长，请缩短后再发送。",
      errRate: "您发送消息的速度太快。请等待 {seconds} 秒后重试。",
      retry: "重试", reconnecting: "连接已断开，正在重新连接…",
    },
    es: {
      launcher: "Abrir el chat", launcherNew: "Abrir el chat – mensaje nuevo", subtitle: "Pregunte en su propio idioma",
      close: "Cerrar el chat", language: "Idioma", inputLabel: "Su mensaje", placeholder: "Escriba su pregunta…",
      send: "Enviar", typing: "escribiendo…", you: "Usted", assistant: "Asistente", caseWorker: "Agente",
      conversation: "Conversación", sources: "Fuentes", moreSources: "{n} fuentes más", checkedOn: "Comprobado el {date}",
      newTab: "(se abre en una pestaña nueva)",
      wasHelpful: "¿Le ha sido útil esta respuesta?", helpful: "Útil", notHelpful: "No es útil",
      feedbackThanks: "¡Gracias por su opinión!", rate: "Valore la ayuda recibida", stars: "{n} de 5",
      suggestions: "Respuestas sugeridas",
      queued: "Usted es el número {position} de la cola. El tiempo de espera estimado es de unos {minutes} minutos.",
      queuedPosition: "Usted es el número {position} de la cola.", waiting: "Esperando a un agente…",
      active: "Está hablando con un agente del kontaktcenter.", closed: "El agente ha salido de la conversación.",
      privacy: "Guardamos los mensajes de este chat durante 30 días para poder responderle y mejorar el servicio. No comparta su personnummer ni detalles de su caso; puede borrar la conversación en cualquier momento.",
      delete: "Borrar mi conversación", deleteConfirm: "¿Borrar toda la conversación? No se puede deshacer.",
      deleteYes: "Sí, borrar", cancel: "Cancelar", deleted: "Su conversación se ha borrado.",
      errGeneric: "Lo sentimos, algo ha salido mal. Inténtelo de nuevo.",
      errNetwork: "No hemos podido conectar con el servicio. Compruebe su conexión e inténtelo de nuevo.",
      errTooLong: "Su mensaje es demasiado largo. Acórtelo, por favor.",
      errRate: "Está enviando mensajes demasiado rápido. Espere {seconds} segundos e inténtelo de nuevo.",
      retry: "Reintentar", reconnecting: "Se ha perdido la conexión. Reconectando…",
    },
    tr: {
      launcher: "Sohbeti aç", launcherNew: "Sohbeti aç – yeni mesaj", subtitle: "Kendi dilinizde sorun",
      close: "Sohbeti kapat", language: "Dil", inputLabel: "Mesajınız", placeholder: "Sorunuzu yazın…",
      send: "Gönder", typing: "yazıyor…", you: "Siz", assistant: "Asistan", caseWorker: "Yetkili",
      conversation: "Sohbet", sources: "Kaynaklar", moreSources: "{n} kaynak daha", checkedOn: "Kontrol tarihi: {date}", newTab: "(yeni sekmede açılır)",
      wasHelpful: "Bu yanıt işinize yaradı mı?", helpful: "Yararlı", notHelpful: "Yararlı değil",
      feedbackThanks: "Geri bildiriminiz için teşekkürler!", rate: "Aldığınız yardımı değerlendirin",
      stars: "5 üzerinden {n}", suggestions: "Önerilen yanıtlar",
      queued: "Sıradaki yeriniz: {position}. Tahmini bekleme süresi yaklaşık {minutes} dakikadır.",
      queuedPosition: "Sıradaki yeriniz: {position}.", waiting: "Bir yetkili bekleniyor…",
      active: "Şu anda bir yetkiliyle yazışıyorsunuz.", closed: "Yetkili görüşmeden ayrıldı.",
      privacy: "Size yanıt verebilmek ve hizmeti geliştirmek için bu sohbetteki mesajları 30 gün saklıyoruz. Lütfen personnummer veya dosyanızla ilgili ayrıntıları paylaşmayın; sohbeti istediğiniz zaman silebilirsiniz.",
      delete: "Sohbetimi sil", deleteConfirm: "Sohbetin tamamı silinsin mi? Bu işlem geri alınamaz.",
      deleteYes: "Evet, sil", cancel: "Vazgeç", deleted: "Sohbetiniz silindi.",
      errGeneric: "Üzgünüz, bir sorun oluştu. Lütfen tekrar deneyin.",
      errNetwork: "Hizmete ulaşılamadı. Lütfen bağlantınızı kontrol edip tekrar deneyin.",
      errTooLong: "Mesajınız çok uzun. Lütfen kısaltın.",
      errRate: "Çok hızlı mesaj gönderiyorsunuz. Lütfen {seconds} saniye bekleyip tekrar deneyin.",
      retry: "Tekrar dene", reconnecting: "Bağlantı koptu. Yeniden bağlanılıyor…",
    },
    ru: {
      launcher: "Открыть чат", launcherNew: "Открыть чат – новое сообщение", subtitle: "Спрашивайте на своём языке",
      close: "Закрыть чат", language: "Язык", inputLabel: "Ваше сообщение", placeholder: "Напишите свой вопрос…",
      send: "Отправить", typing: "печатает…", you: "Вы", assistant: "Помощник", caseWorker: "Сотрудник",
      conversation: "Переписка", sources: "Источники", moreSources: "Ещё источники: {n}", checkedOn: "Проверено: {date}",
      newTab: "(откроется в новой вкладке)",
      wasHelpful: "Был ли этот ответ полезен?", helpful: "Помогло", notHelpful: "Не помогло",
      feedbackThanks: "Спасибо за Ваш отзыв!", rate: "Оцените полученную помощь", stars: "{n} из 5",
      suggestions: "Варианты ответа",
      queued: "Ваш номер в очереди: {position}. Примерное время ожидания — около {minutes} мин.",
      queuedPosition: "Ваш номер в очереди: {position}.", waiting: "Ожидание сотрудника…",
      active: "Вы общаетесь с сотрудником.", closed: "Сотрудник вышел из разговора.",
      privacy: "Мы храним сообщения этого чата 30 дней, чтобы ответить Вам и улучшать сервис. Пожалуйста, не указывайте personnummer и подробности своего дела; Вы можете удалить переписку в любой момент.",
      delete: "Удалить мою переписку", deleteConfirm: "Удалить всю переписку? Это действие нельзя отменить.",
      deleteYes: "Да, удалить", cancel: "Отмена", deleted: "Ваша переписка удалена.",
      errGeneric: "Извините, что-то пошло не так. Попробуйте ещё раз.",
      errNetwork: "Не удалось связаться с сервисом. Проверьте подключение к интернету и попробуйте ещё раз.",
      errTooLong: "Сообщение слишком длинное. Пожалуйста, сократите его.",
      errRate: "Вы отправляете сообщения слишком часто. Подождите {seconds} сек. и попробуйте ещё раз.",
      retry: "Повторить", reconnecting: "Соединение потеряно. Переподключение…",
    },
    uk: {
      launcher: "Відкрити чат", launcherNew: "Відкрити чат – нове повідомлення", subtitle: "Запитуйте своєю мовою",
      close: "Закрити чат", language: "Мова", inputLabel: "Ваше повідомлення", placeholder: "Напишіть своє запитання…",
      send: "Надіслати", typing: "друкує…", you: "Ви", assistant: "Помічник", caseWorker: "Працівник",
      conversation: "Розмова", sources: "Джерела", moreSources: "Ще джерела: {n}", checkedOn: "Перевірено: {date}",
      newTab: "(відкриється в новій вкладці)",
      wasHelpful: "Чи була ця відповідь корисною?", helpful: "Допомогло", notHelpful: "Не допомогло",
      feedbackThanks: "Дякуємо за Ваш відгук!", rate: "Оцініть отриману допомогу", stars: "{n} з 5",
      suggestions: "Варіанти відповіді",
      queued: "Ваш номер у черзі: {position}. Орієнтовний час очікування — близько {minutes} хв.",
      queuedPosition: "Ваш номер у черзі: {position}.", waiting: "Очікування працівника…",
      active: "Ви спілкуєтеся з працівником.", closed: "Працівник вийшов із розмови.",
      privacy: "Ми зберігаємо повідомлення цього чату 30 днів, щоб відповісти Вам і покращувати сервіс. Будь ласка, не повідомляйте personnummer і подробиці своєї справи; Ви можете будь-коли видалити розмову.",
      delete: "Видалити мою розмову", deleteConfirm: "Видалити всю розмову? Цю дію не можна скасувати.",
      deleteYes: "Так, видалити", cancel: "Скасувати", deleted: "Вашу розмову видалено.",
      errGeneric: "Вибачте, щось пішло не так. Спробуйте ще раз.",
      errNetwork: "Не вдалося з’єднатися із сервісом. Перевірте підключення до інтернету та спробуйте ще раз.",
      errTooLong: "Повідомлення задовге. Будь ласка, скоротіть його.",
      errRate: "Ви надсилаєте повідомлення надто часто. Зачекайте {seconds} с і спробуйте ще раз.",
      retry: "Спробувати ще раз", reconnecting: "З’єднання втрачено. Повторне підключення…",
    },
    hi: {
      launcher: "चैट खोलें", launcherNew: "चैट खोलें – नया संदेश", subtitle: "अपनी भाषा में पूछें",
      close: "चैट बंद करें", language: "भाषा", inputLabel: "आपका संदेश", placeholder: "अपना सवाल लिखें…",
      send: "भेजें", typing: "लिखा जा रहा है…", you: "आप", assistant: "सहायक", caseWorker: "कर्मचारी",
      conversation: "बातचीत", sources: "स्रोत", moreSources: "{n} और स्रोत", checkedOn: "{date} को जाँचा गया", newTab: "(नए टैब में खुलता है)",
      wasHelpful: "क्या यह जवाब मददगार था?", helpful: "मददगार", notHelpful: "मददगार नहीं",
      feedbackThanks: "आपकी राय के लिए धन्यवाद!", rate: "आपको मिली मदद को रेटिंग दें", stars: "5 में से {n}",
      suggestions: "सुझाए गए जवाब",
      queued: "कतार में आपका नंबर {position} है। अनुमानित प्रतीक्षा समय लगभग {minutes} मिनट है।",
      queuedPosition: "कतार में आपका नंबर {position} है।", waiting: "कर्मचारी की प्रतीक्षा की जा रही है…",
      active: "आप एक कर्मचारी से बात कर रहे हैं।", closed: "कर्मचारी ने बातचीत छोड़ दी है।",
      privacy: "आपको जवाब देने और सेवा को बेहतर बनाने के लिए इस चैट के संदेश 30 दिनों तक सहेजे जाते हैं। कृपया personnummer या अपने मामले का विवरण साझा न करें; आप कभी भी बातचीत मिटा सकते हैं।",
      delete: "मेरी बातचीत मिटाएँ", deleteConfirm: "क्या पूरी बातचीत मिटा दें? इसे वापस नहीं लाया जा सकेगा।",
      deleteYes: "हाँ, मिटाएँ", cancel: "रद्द करें", deleted: "आपकी बातचीत मिटा दी गई है।",
      errGeneric: "माफ़ कीजिए, कुछ गड़बड़ हो गई। कृपया फिर से कोशिश करें।",
      errNetwork: "सेवा से संपर्क नहीं हो सका। कृपया अपना इंटरनेट कनेक्शन जाँचें और फिर से कोशिश करें।",
      errTooLong: "आपका संदेश बहुत लंबा है। कृपया इसे छोटा करें।",
      errRate: "आप बहुत जल्दी-जल्दी संदेश भेज रहे हैं। कृपया {seconds} सेकंड रुककर फिर से कोशिश करें।",
      retry: "फिर से कोशिश करें", reconnecting: "कनेक्शन टूट गया। फिर से जोड़ा जा रहा है…",
    },
    de: {
      launcher: "Chat öffnen", launcherNew: "Chat öffnen – neue Nachricht", subtitle: "Fragen Sie in Ihrer Sprache",
      close: "Chat schließen", language: "Sprache", inputLabel: "Ihre Nachricht", placeholder: "Schreiben Sie Ihre Frage…",
      send: "Senden", typing: "schreibt…", you: "Sie", assistant: "Assistent", caseWorker: "Ansprechperson",
      conversation: "Gespräch", sources: "Quellen", moreSources: "{n} weitere Quellen", checkedOn: "Geprüft am {date}",
      newTab: "(öffnet sich in einem neuen Tab)",
      wasHelpful: "War diese Antwort hilfreich?", helpful: "Hilfreich", notHelpful: "Nicht hilfreich",
      feedbackThanks: "Vielen Dank für Ihre Rückmeldung!", rate: "Bewerten Sie die erhaltene Hilfe",
      stars: "{n} von 5", suggestions: "Antwortvorschläge",
      queued: "Sie sind Nummer {position} in der Warteschlange. Die geschätzte Wartezeit beträgt etwa {minutes} Minuten.",
      queuedPosition: "Sie sind Nummer {position} in der Warteschlange.", waiting: "Warten auf eine Ansprechperson…",
      active: "Sie chatten mit einer Ansprechperson aus dem kontaktcenter.",
      closed: "Ihre Ansprechperson hat das Gespräch verlassen.",
      privacy: "Wir speichern die Nachrichten in diesem Chat 30 Tage lang, um Ihnen zu antworten und den Service zu verbessern. Bitte teilen Sie keine personnummer und keine Details zu Ihrem Fall mit; Sie können das Gespräch jederzeit löschen.",
      delete: "Mein Gespräch löschen",
      deleteConfirm: "Das gesamte Gespräch löschen? Das lässt sich nicht rückgängig machen.",
      deleteYes: "Ja, löschen", cancel: "Abbrechen", deleted: "Ihr Gespräch wurde gelöscht.",
      errGeneric: "Leider ist etwas schiefgelaufen. Bitte versuchen Sie es erneut.",
      errNetwork: "Der Dienst ist nicht erreichbar. Bitte prüfen Sie Ihre Verbindung und versuchen Sie es erneut.",
      errTooLong: "Ihre Nachricht ist zu lang. Bitte kürzen Sie sie.",
      errRate: "Sie senden zu schnell Nachrichten. Bitte warten Sie {seconds} Sekunden und versuchen Sie es dann erneut.",
      retry: "Erneut versuchen", reconnecting: "Die Verbindung wurde unterbrochen. Verbindung wird wiederhergestellt…",
    },
    fr: {
      launcher: "Ouvrir le chat", launcherNew: "Ouvrir le chat – nouveau message",
      subtitle: "Posez vos questions dans votre langue", close: "Fermer le chat", language: "Langue",
      inputLabel: "Votre message", placeholder: "Écrivez votre question…", send: "Envoyer",
      typing: "en train d'écrire…", you: "Vous", assistant: "Assistant", caseWorker: "Agent",
      conversation: "Conversation", sources: "Sources", moreSources: "{n} autres sources", checkedOn: "Vérifié le {date}",
      newTab: "(s'ouvre dans un nouvel onglet)",
      wasHelpful: "Cette réponse vous a-t-elle été utile\u00a0?", helpful: "Utile", notHelpful: "Pas utile",
      feedbackThanks: "Merci pour votre avis\u00a0!", rate: "Évaluez l'aide reçue", stars: "{n} sur 5",
      suggestions: "Réponses suggérées",
      queued: "Vous êtes numéro {position} dans la file d'attente. Le temps d'attente estimé est d'environ {minutes} minutes.",
      queuedPosition: "Vous êtes numéro {position} dans la file d'attente.", waiting: "En attente d'un agent…",
      active: "Vous échangez avec un agent du kontaktcenter.", closed: "L'agent a quitté la conversation.",
      privacy: "Nous conservons les messages de ce chat pendant 30 jours pour vous répondre et améliorer le service. Ne partagez pas votre personnummer ni les détails de votre dossier\u00a0; vous pouvez supprimer la conversation à tout moment.",
      delete: "Supprimer ma conversation",
      deleteConfirm: "Supprimer toute la conversation\u00a0? Cette action est irréversible.",
      deleteYes: "Oui, supprimer", cancel: "Annuler", deleted: "Votre conversation a été supprimée.",
      errGeneric: "Désolé, une erreur s'est produite. Veuillez réessayer.",
      errNetwork: "Impossible de joindre le service. Vérifiez votre connexion et réessayez.",
      errTooLong: "Votre message est trop long. Veuillez le raccourcir.",
      errRate: "Vous envoyez des messages trop rapidement. Veuillez patienter {seconds} secondes, puis réessayer.",
      retry: "Réessayer", reconnecting: "Connexion perdue. Reconnexion en cours…",
    },
    pt: {
      launcher: "Abrir o chat", launcherNew: "Abrir o chat – nova mensagem", subtitle: "Pergunte no seu próprio idioma",
      close: "Fechar o chat", language: "Idioma", inputLabel: "Sua mensagem", placeholder: "Escreva sua pergunta…",
      send: "Enviar", typing: "digitando…", you: "Você", assistant: "Assistente", caseWorker: "Atendente",
      conversation: "Conversa", sources: "Fontes", moreSources: "Mais {n} fontes", checkedOn: "Verificado em {date}", newTab: "(abre em uma nova aba)",
      wasHelpful: "Esta resposta foi útil?", helpful: "Útil", notHelpful: "Não foi útil",
      feedbackThanks: "Obrigado pela sua opinião!", rate: "Avalie a ajuda recebida", stars: "{n} de 5",
      suggestions: "Respostas sugeridas",
      queued: "Está na posição {position} da fila. O tempo de espera estimado é de cerca de {minutes} minutos.",
      queuedPosition: "Está na posição {position} da fila.", waiting: "Aguardando um atendente…",
      active: "Você está conversando com um atendente.", closed: "O atendente saiu da conversa.",
      privacy: "Guardamos as mensagens deste chat durante 30 dias para poder responder e melhorar o serviço. Não envie o seu personnummer nem detalhes do seu caso; pode apagar a conversa a qualquer momento.",
      delete: "Apagar minha conversa", deleteConfirm: "Apagar toda a conversa? Esta ação não pode ser desfeita.",
      deleteYes: "Sim, apagar", cancel: "Cancelar", deleted: "Sua conversa foi apagada.",
      errGeneric: "Desculpe, algo deu errado. Tente novamente.",
      errNetwork: "Não foi possível acessar o serviço. Verifique sua conexão e tente novamente.",
      errTooLong: "Sua mensagem é longa demais. Por favor, encurte-a.",
      errRate: "Você está enviando mensagens rápido demais. Aguarde {seconds} segundos e tente novamente.",
      retry: "Tentar novamente", reconnecting: "A conexão caiu. Reconectando…",
    },
    pl: {
      launcher: "Otwórz czat", launcherNew: "Otwórz czat – nowa wiadomość", subtitle: "Zapytaj w swoim języku",
      close: "Zamknij czat", language: "Język", inputLabel: "Wiadomość", placeholder: "Wpisz pytanie…",
      send: "Wyślij", typing: "pisze…", you: "Ty", assistant: "Asystent", caseWorker: "Pracownik",
      conversation: "Rozmowa", sources: "Źródła", moreSources: "Więcej źródeł: {n}", checkedOn: "Sprawdzono: {date}",
      newTab: "(otwiera się w nowej karcie)",
      wasHelpful: "Czy ta odpowiedź była pomocna?", helpful: "Pomocna", notHelpful: "Niepomocna",
      feedbackThanks: "Dziękujemy za opinię!", rate: "Oceń otrzymaną pomoc", stars: "{n} z 5",
      suggestions: "Proponowane odpowiedzi",
      queued: "Miejsce w kolejce: {position}. Szacowany czas oczekiwania: około {minutes} min.",
      queuedPosition: "Miejsce w kolejce: {position}.", waiting: "Oczekiwanie na pracownika…",
      active: "Trwa rozmowa z pracownikiem.", closed: "Pracownik zakończył rozmowę.",
      privacy: "Przechowujemy wiadomości z tego czatu przez 30 dni, aby móc odpowiedzieć i ulepszać usługę. Prosimy nie podawać numeru personnummer ani szczegółów swojej sprawy; rozmowę można usunąć w dowolnym momencie.",
      delete: "Usuń moją rozmowę", deleteConfirm: "Usunąć całą rozmowę? Tej operacji nie można cofnąć.",
      deleteYes: "Tak, usuń", cancel: "Anuluj", deleted: "Rozmowa została usunięta.",
      errGeneric: "Przepraszamy, coś poszło nie tak. Spróbuj ponownie.",
      errNetwork: "Nie udało się połączyć z usługą. Sprawdź połączenie z internetem i spróbuj ponownie.",
      errTooLong: "Wiadomość jest za długa. Skróć ją, proszę.",
      errRate: "Wiadomości są wysyłane zbyt szybko. Odczekaj {seconds} s i spróbuj ponownie.",
      retry: "Spróbuj ponownie", reconnecting: "Utracono połączenie. Ponowne łączenie…",
    },
  };

  function translate(lang, key, vars) {
    const text = (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.en[key] || key;
    return vars ? text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m)) : text;
  }

  function supported(tag) {
    const code = String(tag || "").toLowerCase().split(/[-_]/)[0];
    return LANGS.includes(code) ? code : null;
  }

  function initialLanguage(saved) {
    const wanted = [saved, CONFIG.language].concat(Array.from(navigator.languages || [navigator.language]));
    for (const tag of wanted) {
      const code = supported(tag);
      if (code) return code;
    }
    return "en";
  }

  function formatDate(iso, lang) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso || ""));
    if (!match) return String(iso || "");
    try {
      const date = new Date(Date.UTC(+match[1], +match[2] - 1, +match[3]));
      return new Intl.DateTimeFormat(lang, {dateStyle: "medium", timeZone: "UTC"}).format(date);
    } catch (_) {
      return iso;
    }
  }

  /* ---------------------------------------------------------------- colours (WCAG contrast) */

  const DEFAULT_ACCENT = "#00427a";

  function parseHex(value) {
    const match = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(value || "").trim());
    if (!match) return null;
    const hex = match[1].length === 3 ? match[1].replace(/./g, "$&$&") : match[1];
    return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
  }

  function luminance(rgb) {
    const [r, g, b] = rgb.map((c) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }

  function contrast(a, b) {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  }

  // Any colour has at least 4.58:1 against black or white, so the text on the accent always passes AA;
  // links and outlines on white need the accent itself to be dark enough, else the default blue is used.
  function theme(color) {
    const rgb = parseHex(color) || parseHex(DEFAULT_ACCENT);
    const accent = "#" + rgb.map((c) => c.toString(16).padStart(2, "0")).join("");
    const onAccent = contrast(rgb, [255, 255, 255]) >= contrast(rgb, [0, 0, 0]) ? "#ffffff" : "#000000";
    const link = contrast(rgb, [240, 242, 245]) >= 4.5 ? accent : DEFAULT_ACCENT;
    return {accent, onAccent, link};
  }

  /* ---------------------------------------------------------------- styles */

  function css(colors) {
    // Only validated #rrggbb values are interpolated here.
    return `
:host { all: initial; --accent: ${colors.accent}; --on-accent: ${colors.onAccent}; --link: ${colors.link}; }
*, *::before, *::after { box-sizing: border-box; }
.root { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: #1b1b1b; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
[hidden] { display: none !important; }
button { font: inherit; cursor: pointer; }
button:disabled { cursor: default; }
:focus-visible { outline: 3px solid var(--link); outline-offset: 2px; }
svg { display: block; flex: none; }

.launcher { position: fixed; bottom: 20px; right: 20px; z-index: 2147483000; width: 60px; height: 60px;
  border-radius: 50%; border: 2px solid var(--on-accent); background: var(--accent); color: var(--on-accent);
  box-shadow: 0 4px 14px rgba(0, 0, 0, .3); display: flex; align-items: center; justify-content: center; padding: 0; }
.launcher:focus-visible { outline-offset: 3px; box-shadow: 0 0 0 3px #fff, 0 4px 14px rgba(0, 0, 0, .3); }
.launcher svg { width: 30px; height: 30px; }
.launcher .badge { position: absolute; top: 0; right: 0; width: 16px; height: 16px; border-radius: 50%;
  background: #c4002b; border: 2px solid #fff; }
.left .launcher { right: auto; left: 20px; }

.panel { position: fixed; bottom: 92px; right: 20px; z-index: 2147483001; width: 390px; max-width: calc(100vw - 40px);
  height: 620px; max-height: calc(100vh - 112px); display: flex; flex-direction: column; background: #fff;
  border-radius: 12px; box-shadow: 0 8px 30px rgba(0, 0, 0, .3); overflow: hidden; }
.left .panel { right: auto; left: 20px; }

.bar { display: flex; align-items: center; gap: 2px; padding-block: 8px; padding-inline: 16px 6px;
  background: var(--accent); color: var(--on-accent); flex: none; }
.bar :focus-visible { outline-color: var(--on-accent); outline-offset: -4px; }
.heading { flex: 1; min-width: 0; }
.heading h2 { margin: 0; font-size: 16px; font-weight: 700; line-height: 1.3; }
.heading p { margin: 0; font-size: 13px; }
.icon-btn { background: transparent; color: inherit; border: 0; border-radius: 6px; min-width: 40px; height: 40px;
  display: inline-flex; align-items: center; justify-content: center; gap: 4px; padding: 0 6px; }
.icon-btn:hover { background: rgba(127, 127, 127, .25); }
.icon-btn svg { width: 20px; height: 20px; }
.lang-code { font-size: 12px; font-weight: 700; text-transform: uppercase; }

.menu { position: absolute; top: 58px; inset-inline-end: 8px; z-index: 3; background: #fff; color: #1b1b1b;
  border: 1px solid #767676; border-radius: 8px; box-shadow: 0 6px 20px rgba(0, 0, 0, .25); padding: 4px;
  max-height: calc(100% - 70px); overflow-y: auto; min-width: 180px; }
.menu button { display: flex; width: 100%; align-items: center; gap: 8px; text-align: start; padding: 7px 10px;
  background: none; border: 0; border-radius: 4px; color: inherit; }
.menu button:hover, .menu button:focus { background: #e8eef6; }
.menu button::before { content: ""; width: 1em; flex: none; }
.menu button[aria-checked="true"] { font-weight: 700; }
.menu button[aria-checked="true"]::before { content: "✓"; }

.status { flex: none; padding: 8px 16px; font-size: 14px; background: #fff4ce; border-bottom: 1px solid #d9c77a;
  display: flex; gap: 8px; align-items: center; }
.status.conn { background: #eef1f5; border-color: #c9ced6; }
.status .dot { width: 10px; height: 10px; border-radius: 50%; background: #8a6d00; flex: none; }
.status.active .dot { background: #1e7b34; }

.log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 10px; }
.log:focus-visible { outline-offset: -3px; }
.privacy { margin: 0; padding: 10px 12px; font-size: 13px; background: #eef3f9; border-radius: 8px; color: #1b1b1b; }

.msg { max-width: 88%; display: flex; flex-direction: column; gap: 6px; align-items: flex-start; }
.msg.user { align-self: flex-end; align-items: flex-end; }
.bubble { padding: 8px 12px; border-radius: 12px; overflow-wrap: anywhere; max-width: 100%; }
.user .bubble { background: var(--accent); color: var(--on-accent); border-end-end-radius: 4px; white-space: pre-wrap; }
.bot .bubble { background: #f0f2f5; border-end-start-radius: 4px; }
.agent .bubble { background: #e9f5ec; border: 1px solid #1e7b34; border-end-start-radius: 4px; }
.bubble p { margin: 0 0 .55em; }
.bubble p:last-child, .bubble ul:last-child, .bubble ol:last-child { margin-bottom: 0; }
.bubble ul, .bubble ol { margin: 0 0 .55em; padding-inline-start: 1.3em; }
.bubble a, .sources a { color: var(--link); text-decoration: underline; }
.user.failed .bubble { opacity: .75; }
.who { font-size: 12px; font-weight: 700; color: #1e5c2a; display: flex; align-items: center; gap: 4px; }
.who svg { width: 14px; height: 14px; }
.notice { align-self: center; text-align: center; font-size: 13px; color: #3d3d3d; background: #f4f4f4;
  border-radius: 8px; padding: 6px 10px; max-width: 95%; }
.notice.error { color: #8a1020; background: #fdecee; }
.notice button { margin-inline-start: 6px; }

.choices { display: flex; flex-wrap: wrap; gap: 6px; }
.choice { background: #fff; color: var(--link); border: 2px solid var(--link); border-radius: 18px;
  padding: 5px 12px; min-height: 34px; text-align: start; }
.choice:hover:not(:disabled) { background: #e8eef6; }
.choice:disabled { color: #595959; border-color: #8f8f8f; }
.choice[aria-pressed="true"] { background: var(--link); color: #fff; border-color: var(--link); }

.sources { font-size: 13px; padding: 8px 12px; border: 1px solid #c9ced6; border-radius: 8px; max-width: 100%; }
.sources p { margin: 0 0 4px; font-weight: 700; }
.sources ul { margin: 0; padding: 0; list-style: none; }
.sources li { margin: 4px 0; }
.sources summary { color: var(--link); cursor: pointer; margin-top: 4px; text-decoration: underline; }
.sources details ul { margin-top: 4px; }
.checked { display: block; color: #4a4a4a; font-size: 12px; }

.feedback { display: flex; gap: 6px; align-items: center; font-size: 12px; color: #4a4a4a; flex-wrap: wrap; }
.feedback button { background: #fff; color: #1b1b1b; border: 1px solid #767676; border-radius: 16px;
  min-width: 36px; height: 30px; display: inline-flex; align-items: center; justify-content: center; }
.feedback button svg { width: 16px; height: 16px; }
.feedback .down svg { transform: rotate(180deg); }
.feedback button[aria-pressed="true"] { background: var(--link); border-color: var(--link); color: #fff; }

.rating { display: flex; gap: 6px; flex-wrap: wrap; }
.rating button { width: 42px; height: 42px; border-radius: 50%; border: 2px solid var(--link); background: #fff;
  color: var(--link); font-weight: 700; display: inline-flex; align-items: center; justify-content: center; gap: 1px; }
.rating button[aria-checked="true"] { background: var(--link); color: #fff; }
.rating button[aria-disabled="true"] { cursor: default; }

.typing { flex: none; padding: 0 16px 6px; font-size: 13px; color: #4a4a4a; display: flex; gap: 8px; align-items: center; }
.dots { display: inline-flex; gap: 3px; }
.dots span { width: 6px; height: 6px; border-radius: 50%; background: #595959; animation: ihs-blink 1.2s infinite both; }
.dots span:nth-child(2) { animation-delay: .2s; }
.dots span:nth-child(3) { animation-delay: .4s; }
@keyframes ihs-blink { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }

.composer { flex: none; display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid #c9ced6; align-items: flex-end; }
.composer textarea { flex: 1; resize: none; border: 2px solid #767676; border-radius: 8px; padding: 8px 10px;
  font: inherit; color: #1b1b1b; background: #fff; min-height: 44px; max-height: 120px; }
.composer textarea::placeholder { color: #5e5e5e; }
.composer textarea:focus-visible { outline-offset: 0; }
.send { background: var(--accent); color: var(--on-accent); border: 2px solid var(--accent); border-radius: 8px;
  min-width: 48px; height: 44px; display: inline-flex; align-items: center; justify-content: center; }
.send svg { width: 22px; height: 22px; }
[dir="rtl"] .send svg { transform: scaleX(-1); }
.foot { flex: none; display: flex; flex-wrap: wrap; gap: 6px; align-items: center; padding: 0 12px 8px; font-size: 13px; }
.link-btn { background: none; border: 0; padding: 4px 2px; color: var(--link); text-decoration: underline; }
.confirm { flex: none; margin: 0 12px 8px; padding: 10px 12px; border: 2px solid #8a1020; border-radius: 8px; font-size: 14px; }
.confirm p { margin: 0 0 8px; }
.confirm .actions { display: flex; gap: 8px; flex-wrap: wrap; }
.btn { border-radius: 6px; padding: 6px 12px; border: 2px solid #767676; background: #fff; color: #1b1b1b; }
.btn.danger { background: #8a1020; border-color: #8a1020; color: #fff; }

@media (max-width: 480px) {
  .panel, .left .panel { inset: 0; width: 100%; max-width: none; height: 100%; max-height: none; border-radius: 0; }
  .open .launcher { display: none; }
}
@media (prefers-reduced-motion: reduce) { .dots span { animation: none; opacity: .7; } }
@media (forced-colors: active) { .bubble, .choice, .sources, .launcher, .panel { border: 1px solid CanvasText; } }
`;
  }

  /* ---------------------------------------------------------------- DOM helpers */

  function h(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of [].concat(children || [])) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  const SVG_NS = "http://www.w3.org/2000/svg";
  const ICONS = {
    chat: "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H10l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z",
    close: "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4z",
    globe: "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm6.9 6h-3a15.7 15.7 0 0 0-1.3-3.9A8 8 0 0 1 18.9 8zM12 4c.8 1.1 1.5 2.5 1.9 4h-3.8c.4-1.5 1.1-2.9 1.9-4zM4.3 14a8 8 0 0 1 0-4h3.4a16 16 0 0 0 0 4zm.8 2h3a15.7 15.7 0 0 0 1.3 3.9A8 8 0 0 1 5.1 16zm3-8h-3a8 8 0 0 1 4.3-3.9A15.7 15.7 0 0 0 8.1 8zM12 20c-.8-1.1-1.5-2.5-1.9-4h3.8c-.4 1.5-1.1 2.9-1.9 4zm2.3-6H9.7a14 14 0 0 1 0-4h4.6a14 14 0 0 1 0 4zm.3 5.9c.6-1.2 1-2.5 1.3-3.9h3a8 8 0 0 1-4.3 3.9zM16.3 14a16 16 0 0 0 0-4h3.4a8 8 0 0 1 0 4z",
    send: "M3 20.5 21.5 12 3 3.5v6.6l12.5 1.9L3 13.9z",
    person: "M12 12a4.5 4.5 0 1 0 0-9 4.5 4.5 0 0 0 0 9zm0 2c-4.4 0-8 2.2-8 5v2h16v-2c0-2.8-3.6-5-8-5z",
    thumb: "M2 10h4v11H2zm6 11V10l4.6-7.5c1.4 0 2.4 1.2 2.1 2.6L14 9h6a2 2 0 0 1 2 2.3l-1.3 7.9A2 2 0 0 1 18.7 21z",
    trash: "M9 3h6l1 2h4v2H4V5h4zm-3 6h12l-1 12H7z",
  };

  function icon(name) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    path.setAttribute("fill", "currentColor");
    svg.append(path);
    return svg;
  }

  /* ---------------------------------------------------------------- safe text rendering */

  const URL_PATTERN = /https?:\/\/[^\s<>"'`]+/g;

  // A URL's trailing punctuation usually ends the sentence; a ")" stays if the URL opened one.
  function trimUrl(url) {
    while (/[.,;:!?)\]'"»]$/.test(url)) {
      if (url.endsWith(")") && (url.match(/\(/g) || []).length >= (url.match(/\)/g) || []).length) break;
      url = url.slice(0, -1);
    }
    return url;
  }

  function safeLink(href, label, newTabText) {
    let url;
    try {
      url = new URL(href);
    } catch (_) {
      return null;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    const link = h("a", {href: url.href, target: "_blank", rel: "noopener noreferrer"});
    link.append(label);
    // The space sits inside the hidden text, so no underlined blank trails the visible link.
    if (newTabText) link.append(h("span", {class: "visually-hidden", text: " " + newTabText}));
    return link;
  }

  function appendLinkified(parent, text, newTabText) {
    let last = 0;
    for (const match of text.matchAll(URL_PATTERN)) {
      const url = trimUrl(match[0]);
      parent.append(text.slice(last, match.index));
      parent.append(safeLink(url, url, newTabText) || url);
      last = match.index + url.length;
    }
    parent.append(text.slice(last));
  }

  // **bold** is the only inline markup the knowledge base uses; it becomes <strong>, all else is text.
  function appendInline(parent, text, newTabText) {
    text.split(/\*\*([^*\n]+)\*\*/).forEach((part, i) => {
      if (i % 2) {
        const strong = h("strong");
        appendLinkified(strong, part, newTabText);
        parent.append(strong);
      } else if (part) {
        appendLinkified(parent, part, newTabText);
      }
    });
  }

  // Paragraphs and "-" / "1." lists of the bot's Markdown, built as elements (never parsed as HTML).
  function appendRich(parent, text, newTabText) {
    for (const block of String(text).split(/\n\s*\n/)) {
      let list = null;
      let para = null;
      for (const line of block.split("\n")) {
        const item = /^\s*(?:[-*•]|(\d+)[.)])\s+(.*)$/.exec(line);
        if (item) {
          const kind = item[1] ? "ol" : "ul";
          if (!list || list.localName !== kind) {
            list = h(kind);
            if (item[1] && item[1] !== "1") list.start = Number(item[1]);
            parent.append(list);
          }
          para = null;
          const li = h("li");
          appendInline(li, item[2], newTabText);
          list.append(li);
        } else if (line.trim()) {
          list = null;
          if (para) para.append(h("br"));
          else parent.append((para = h("p")));
          appendInline(para, line.replace(/^#{1,6}\s+/, ""), newTabText);
        }
      }
    }
  }

  /* ---------------------------------------------------------------- the conversation API */

  class ApiError extends Error {
    constructor(status, detail, retryAfter) {
      super(detail || "HTTP " + status);
      this.status = status;       // 0: the network failed
      this.detail = detail;
      this.retryAfter = retryAfter;
    }
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // The server is idempotent on client_message_id, so a network failure may be retried with the same body.
  async function api(method, path, {token, body, retries = 0} = {}) {
    const headers = {Accept: "application/json"};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = "Bearer " + token;
    for (let attempt = 0; ; attempt++) {
      let response;
      try {
        response = await fetch(new URL(path, BASE), {
          method, headers, body: body === undefined ? undefined : JSON.stringify(body),
          mode: "cors", credentials: "omit", cache: "no-store",
        });
      } catch (_) {
        if (attempt < retries) {
          await sleep(1000);
          continue;
        }
        throw new ApiError(0, null, null);
      }
      if (response.status === 204) return null;
      let data = null;
      try {
        data = await response.json();
      } catch (_) { /* an empty or non-JSON body: the status says enough */ }
      if (!response.ok) {
        const detail = data && typeof data.detail === "string" ? data.detail : null;
        throw new ApiError(response.status, detail, Number(response.headers.get("Retry-After")) || null);
      }
      return data;
    }
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // randomUUID needs a secure context; a host page on plain http still has getRandomValues.
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /* ---------------------------------------------------------------- storage */

  // Storage may be blocked (private modes, strict cookie settings): the widget then forgets on reload.
  const storage = {
    load() {
      try {
        return JSON.parse(localStorage.getItem(STORAGE_KEY) || "null") || {};
      } catch (_) {
        return {};
      }
    },
    save(value) {
      try {
        localStorage.setItem(STORAGE_KEY, JSON.stringify(value));
      } catch (_) { /* see above */ }
    },
  };

  const RATE_PAYLOAD = /^\/rate ([1-5])$/;

  function isRatingRequest(message) {
    const buttons = message.buttons || [];
    return (message.meta && message.meta.intent === "rating_request") ||
      (buttons.length > 0 && buttons.every((b) => RATE_PAYLOAD.test(b.payload)));
  }

  /* ---------------------------------------------------------------- the widget */

  class Widget {
    constructor() {
      const saved = storage.load();
      this.lang = initialLanguage(saved.lang);
      this.conversation = saved.id && saved.token ? {id: saved.id, token: saved.token} : null;
      this.wasOpen = Boolean(saved.open);
      this.pendingLanguage = null;   // chosen in the menu, sent with the next message
      this.rendered = new Map();     // message id -> element
      this.unbound = [];             // bot replies shown before their id was known: {role, text, el}
      this.pendingUser = [];         // the talent's bubbles waiting for their stored id, oldest first
      this.titles = new Map();       // button payload -> title, to show a chosen button as its title
      this.inFlight = 0;
      this.deferred = [];            // websocket echoes held while an HTTP reply is on its way
      this.queue = Promise.resolve();
      this.ws = null;
      this.wsAttempt = 0;
      this.wsTimer = null;
      this.typingTimer = null;
      this.handoff = {state: "none"};
      this.build();
      this.setLanguage(this.lang, {save: false});
    }

    /* ----- building */

    build() {
      const colors = theme(CONFIG.color);
      this.host = h("div", {id: "ihs-chat-widget"});
      const shadow = this.host.attachShadow({mode: "open"});
      const styles = css(colors);
      if ("adoptedStyleSheets" in Document.prototype && "replaceSync" in CSSStyleSheet.prototype) {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(styles);
        shadow.adoptedStyleSheets = [sheet];
      } else {
        shadow.append(h("style", {text: styles}));  // old browsers; a strict CSP blocks this, nothing else
      }

      this.launcherLabel = h("span", {class: "visually-hidden"});
      this.badge = h("span", {class: "badge", hidden: true});
      this.launcher = h("button", {type: "button", class: "launcher", "aria-expanded": "false",
        "aria-controls": "ihs-panel"}, [icon("chat"), this.launcherLabel, this.badge]);

      this.titleEl = h("h2", {id: "ihs-title", text: CONFIG.title});
      this.subtitleEl = h("p");
      this.langButton = h("button", {type: "button", class: "icon-btn", "aria-haspopup": "menu",
        "aria-expanded": "false", "aria-controls": "ihs-languages"});
      this.closeButton = h("button", {type: "button", class: "icon-btn"}, icon("close"));
      const bar = h("div", {class: "bar"}, [
        h("div", {class: "heading"}, [this.titleEl, this.subtitleEl]), this.langButton, this.closeButton]);

      this.menu = h("div", {class: "menu", role: "menu", id: "ihs-languages", hidden: true});
      this.menuItems = LANGS.map((code) => h("button", {type: "button", role: "menuitemradio", lang: code,
        dir: RTL.has(code) ? "rtl" : "ltr", "data-lang": code, tabindex: "-1", text: NATIVE[code]}));
      this.menu.append(...this.menuItems);

      this.statusBar = h("div", {class: "status", role: "status", hidden: true});
      this.connBar = h("div", {class: "status conn", role: "status", hidden: true});
      this.privacy = h("p", {class: "privacy", id: "ihs-privacy"});
      this.log = h("div", {class: "log", role: "log", "aria-live": "polite", tabindex: "0"});
      this.typing = h("div", {class: "typing", hidden: true},
        [h("span", {class: "dots", "aria-hidden": "true"}, [h("span"), h("span"), h("span")]), h("span")]);

      this.inputLabel = h("label", {for: "ihs-input", class: "visually-hidden"});
      this.input = h("textarea", {id: "ihs-input", rows: "1", maxlength: "2000", autocomplete: "off",
        "aria-describedby": "ihs-privacy"});
      this.sendLabel = h("span", {class: "visually-hidden"});
      this.sendButton = h("button", {type: "submit", class: "send"}, [icon("send"), this.sendLabel]);
      this.form = h("form", {class: "composer", novalidate: true}, [this.inputLabel, this.input, this.sendButton]);

      this.deleteButton = h("button", {type: "button", class: "link-btn", hidden: true});
      this.confirmText = h("p");
      this.confirmYes = h("button", {type: "button", class: "btn danger"});
      this.confirmNo = h("button", {type: "button", class: "btn"});
      this.confirm = h("div", {class: "confirm", role: "group", hidden: true},
        [this.confirmText, h("div", {class: "actions"}, [this.confirmYes, this.confirmNo])]);

      this.panel = h("section", {class: "panel", id: "ihs-panel", role: "dialog", "aria-modal": "false",
        "aria-labelledby": "ihs-title", hidden: true}, [
        bar, this.menu, this.statusBar, this.connBar, this.log, this.typing, this.confirm, this.form,
        h("div", {class: "foot"}, [this.deleteButton]),
      ]);
      this.log.append(this.privacy);
      this.root = h("div", {class: "root " + CONFIG.position}, [this.launcher, this.panel]);
      shadow.append(this.root);
      document.body.append(this.host);
      this.wire();
    }

    wire() {
      this.launcher.addEventListener("click", () => (this.panel.hidden ? this.open() : this.close()));
      this.closeButton.addEventListener("click", () => this.close());
      this.panel.addEventListener("keydown", (event) => this.onPanelKey(event));
      this.langButton.addEventListener("click", () => (this.menu.hidden ? this.openMenu() : this.closeMenu(true)));
      this.menu.addEventListener("keydown", (event) => this.onMenuKey(event));
      this.menu.addEventListener("click", (event) => {
        const item = event.target.closest("[data-lang]");
        if (item) this.chooseLanguage(item.dataset.lang);
      });
      this.menu.addEventListener("focusout", (event) => {
        if (!this.menu.contains(event.relatedTarget) && event.relatedTarget !== this.langButton) this.closeMenu(false);
      });
      this.form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.submitInput();
      });
      this.input.addEventListener("keydown", (event) => {
        // Enter sends, Shift+Enter breaks the line; never while an input method is composing (Chinese…).
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          this.submitInput();
        }
      });
      this.input.addEventListener("input", () => this.fitInput());
      this.deleteButton.addEventListener("click", () => this.askDelete());
      this.confirmNo.addEventListener("click", () => this.cancelDelete());
      this.confirmYes.addEventListener("click", () => this.erase());
      window.addEventListener("online", () => this.reconnectNow());
    }

    /* ----- language */

    setLanguage(code, {save = true} = {}) {
      if (!LANGS.includes(code)) return;
      this.lang = code;
      const dir = RTL.has(code) ? "rtl" : "ltr";
      this.panel.setAttribute("lang", code);
      this.panel.setAttribute("dir", dir);
      this.launcher.setAttribute("lang", code);
      this.applyStrings();
      if (save) this.persist();
    }

    t(key, vars) {
      return translate(this.lang, key, vars);
    }

    // Every UI string lives in an element marked data-i18n, so a language change re-labels old messages too.
    label(node, key, vars, attribute) {
      node.dataset.i18n = key;
      if (vars) node.dataset.i18nVars = JSON.stringify(vars);
      if (attribute) node.dataset.i18nAttr = attribute;
      this.applyString(node);
      return node;
    }

    applyString(node) {
      const vars = node.dataset.i18nVars ? JSON.parse(node.dataset.i18nVars) : undefined;
      if (vars && vars.date) vars.date = formatDate(vars.date, this.lang);
      const text = this.t(node.dataset.i18n, vars);
      if (node.dataset.i18nAttr) node.setAttribute(node.dataset.i18nAttr, text);
      else node.textContent = text;
    }

    applyStrings() {
      this.launcherLabel.textContent = this.t(this.badge.hidden ? "launcher" : "launcherNew");
      this.subtitleEl.textContent = this.t("subtitle");
      this.langButton.replaceChildren(icon("globe"),
        h("span", {class: "lang-code", "aria-hidden": "true", text: this.lang}),
        h("span", {class: "visually-hidden", text: `${this.t("language")}: ${NATIVE[this.lang]}`}));
      this.closeButton.setAttribute("aria-label", this.t("close"));
      this.menu.setAttribute("aria-label", this.t("language"));
      this.menuItems.forEach((item) => item.setAttribute("aria-checked", String(item.dataset.lang === this.lang)));
      this.log.setAttribute("aria-label", this.t("conversation"));
      this.privacy.textContent = this.t("privacy");
      this.typing.lastChild.textContent = this.t("typing");
      this.inputLabel.textContent = this.t("inputLabel");
      this.input.placeholder = this.t("placeholder");
      this.sendLabel.textContent = this.t("send");
      this.deleteButton.textContent = this.t("delete");
      this.confirmText.textContent = this.t("deleteConfirm");
      this.confirmYes.textContent = this.t("deleteYes");
      this.confirmNo.textContent = this.t("cancel");
      this.connBar.textContent = this.t("reconnecting");
      this.renderHandoff();
      this.panel.querySelectorAll("[data-i18n]").forEach((node) => this.applyString(node));
    }

    chooseLanguage(code) {
      this.pendingLanguage = code;
      this.setLanguage(code);
      this.closeMenu(false);
      this.input.focus();
    }

    // The server detected or locked the conversation's language: the panel follows the talent.
    followLanguage(code) {
      if (!this.pendingLanguage && code && code !== this.lang && LANGS.includes(code)) this.setLanguage(code);
    }

    /* ----- language menu (a menu button: arrows move, Enter chooses, Escape closes) */

    openMenu() {
      this.menu.hidden = false;
      this.langButton.setAttribute("aria-expanded", "true");
      const current = this.menuItems.find((item) => item.dataset.lang === this.lang) || this.menuItems[0];
      current.focus();
    }

    closeMenu(focusButton) {
      if (this.menu.hidden) return;
      this.menu.hidden = true;
      this.langButton.setAttribute("aria-expanded", "false");
      if (focusButton) this.langButton.focus();
    }

    onMenuKey(event) {
      const index = this.menuItems.indexOf(this.shadowActive());
      const last = this.menuItems.length - 1;
      const go = {ArrowDown: index + 1 > last ? 0 : index + 1, ArrowUp: index - 1 < 0 ? last : index - 1,
        Home: 0, End: last}[event.key];
      if (go !== undefined) {
        event.preventDefault();
        this.menuItems[go].focus();
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        this.closeMenu(true);
      } else if (event.key === "Tab") {
        this.closeMenu(false);
      }
    }

    shadowActive() {
      return this.host.shadowRoot.activeElement;
    }

    /* ----- open and close */

    open({focus = true} = {}) {
      this.panel.hidden = false;
      this.root.classList.add("open");
      this.launcher.setAttribute("aria-expanded", "true");
      this.setUnread(false);
      this.persist();
      if (focus) this.input.focus();
      this.scrollDown();
    }

    close() {
      this.closeMenu(false);
      this.panel.hidden = true;
      this.root.classList.remove("open");
      this.launcher.setAttribute("aria-expanded", "false");
      this.persist();
      this.launcher.focus();
    }

    onPanelKey(event) {
      if (event.key !== "Escape" || event.defaultPrevented) return;
      event.preventDefault();
      if (!this.confirm.hidden) this.cancelDelete();
      else this.close();
    }

    setUnread(unread) {
      this.badge.hidden = !unread;
      this.launcherLabel.textContent = this.t(unread ? "launcherNew" : "launcher");
    }

    persist() {
      const state = {lang: this.lang, open: !this.panel.hidden};
      if (this.conversation) Object.assign(state, this.conversation);
      storage.save(state);
    }

    /* ----- sending */

    submitInput() {
      const text = this.input.value.trim();
      if (!text) return;
      this.input.value = "";
      this.fitInput();
      this.send(text, text);
    }

    fitInput() {
      this.input.style.height = "auto";
      this.input.style.height = Math.min(this.input.scrollHeight + 4, 120) + "px";
    }

    // A button sends its payload but the talent sees its title, as if they had typed it.
    send(text, shown) {
      const bubble = this.renderUser(shown, this.lang, null, text);
      const job = {text, bubble, clientId: uuid()};
      this.queue = this.queue.then(() => this.deliver(job));
      return this.queue;
    }

    async deliver(job) {
      this.pendingUser.push(job.bubble);
      this.inFlight++;
      this.showTyping(true);
      try {
        let data;
        try {
          data = await this.post(job);
        } catch (error) {
          // The conversation was erased elsewhere or its token no longer fits: start a new one.
          if (error.status !== 403 && error.status !== 404) throw error;
          this.forget();
          this.pendingUser.push(job.bubble);
          data = await this.post(job);
        }
        job.bubble.classList.remove("failed");
        this.followLanguage(data.language);
        this.pendingLanguage = null;
        this.persist();
        for (const reply of data.replies || []) this.render(Object.assign({role: "bot"}, reply));
        this.setHandoff(data.handoff);
      } catch (error) {
        this.pendingUser = this.pendingUser.filter((b) => b !== job.bubble);
        job.bubble.classList.add("failed");
        // Too long: give the text back to shorten it rather than make the talent type it again.
        if (error.status === 413 && !this.input.value) this.input.value = job.text;
        this.showError(error, () => this.retry(job));
      } finally {
        this.inFlight--;
        if (!this.inFlight) {
          this.showTyping(false);
          this.flushDeferred();
        }
      }
    }

    async post(job) {
      const conversation = await this.ensureConversation();
      const body = {text: job.text, client_message_id: job.clientId};
      if (this.pendingLanguage) body.language = this.pendingLanguage;
      return api("POST", `api/v1/conversations/${encodeURIComponent(conversation.id)}/messages`,
        {token: conversation.token, body, retries: 1});
    }

    retry(job) {
      this.queue = this.queue.then(() => this.deliver(job));
    }

    async ensureConversation() {
      if (this.conversation) return this.conversation;
      const body = {channel: "web"};
      if (this.pendingLanguage) body.language = this.pendingLanguage;
      const created = await api("POST", "api/v1/conversations", {body, retries: 1});
      this.conversation = {id: created.conversation_id, token: created.token};
      this.persist();
      this.deleteButton.hidden = false;
      this.connect();
      return this.conversation;
    }

    showError(error, retry) {
      let text;
      if (error.status === 0) text = this.t("errNetwork");
      else if (error.status === 413) text = this.t("errTooLong");
      else if (error.status === 429) text = this.t("errRate", {seconds: error.retryAfter || 10});
      else text = this.t("errGeneric");
      const notice = h("div", {class: "notice error", role: "alert"}, h("span", {text}));
      if (error.detail && error.status !== 429) notice.append(" ", h("span", {lang: "en", text: `(${error.detail})`}));
      if (retry && error.status !== 413) {
        const again = this.label(h("button", {type: "button", class: "link-btn"}), "retry");
        again.addEventListener("click", () => {
          notice.remove();
          retry();
        });
        notice.append(again);
      }
      this.append(notice);
    }

    /* ----- rendering messages */

    append(node, id) {
      // Messages sit in the order of their stored ids, so a transcript fetched after a gap slots in.
      let before = null;
      if (id !== undefined && id !== null) {
        before = Array.from(this.log.children).find((child) => child.dataset.id && Number(child.dataset.id) > id) || null;
      }
      this.log.insertBefore(node, before);
      this.privacy.hidden = this.log.querySelector(".msg") !== null;
      if (this.privacy.hidden) this.input.removeAttribute("aria-describedby");
      if (!before) this.reveal(node);
    }

    // A long answer is read from its start, not from its last source.
    reveal(node) {
      const top = node.offsetTop - this.log.offsetTop - 8;
      this.log.scrollTop = node.offsetHeight > this.log.clientHeight ? top : this.log.scrollHeight;
    }

    scrollDown() {
      this.log.scrollTop = this.log.scrollHeight;
    }

    bind(node, message) {
      node.dataset.id = String(message.id);
      this.rendered.set(message.id, node);
    }

    displayText(text) {
      if (!text.startsWith("/")) return text;
      const rating = RATE_PAYLOAD.exec(text);
      if (rating) return this.t("stars", {n: rating[1]});
      return this.titles.get(text) || text;
    }

    // `sent` is what went to the server: a button's payload or the typed text.
    renderUser(shown, lang, message, sent) {
      const bubble = h("div", {class: "bubble", dir: "auto", lang: lang || null, text: shown});
      const node = h("div", {class: "msg user"}, [this.label(h("span", {class: "visually-hidden"}), "you"), bubble]);
      if (message) this.bind(node, message);
      this.append(node, message ? message.id : null);
      this.markAnswered(sent);
      return node;
    }

    // Quick replies belong to their moment: once the talent has answered, they are spent.
    markAnswered(text) {
      this.log.querySelectorAll(".choices:not(.spent)").forEach((group) => {
        group.classList.add("spent");
        group.querySelectorAll("button").forEach((button) => {
          button.disabled = true;
          if (button.dataset.payload === text) button.setAttribute("aria-pressed", "true");
        });
      });
      const rating = RATE_PAYLOAD.exec(text);
      if (rating) {
        this.log.querySelectorAll(".rating:not(.spent)").forEach((group) => this.lockRating(group, rating[1]));
      }
    }

    // Incoming messages from the HTTP reply, the websocket or the transcript: each shown once.
    render(message) {
      if (message.id !== undefined && message.id !== null && this.rendered.has(message.id)) {
        this.correctRole(message);
        return;
      }
      if (message.role === "user") return this.renderIncomingUser(message);
      if (message.id !== undefined && message.id !== null) {
        const index = this.unbound.findIndex((u) => u.role === message.role && u.text === message.text);
        if (index >= 0) {
          const [{el}] = this.unbound.splice(index, 1);
          this.bind(el, message);
          this.addFeedback(el, message);
          return;
        }
      }
      const node = this.node(message);
      if (message.id !== undefined && message.id !== null) this.bind(node, message);
      else this.unbound.push({role: message.role, text: message.text, el: node});
      this.append(node, message.id);
      if (message.role === "agent") this.showTyping(false);
    }

    renderIncomingUser(message) {
      const bubble = this.pendingUser.shift();
      if (!bubble) {
        this.renderUser(this.displayText(message.text), message.language, message, message.text);
        return;
      }
      this.bind(bubble, message);
      // The stored text wins (the gateway hides personal numbers), unless it is a button's payload.
      if (!message.text.startsWith("/")) bubble.querySelector(".bubble").textContent = message.text;
    }

    node(message) {
      const node = message.role === "system" ? this.systemNode(message) : this.messageNode(message);
      node.dataset.role = message.role;
      return node;
    }

    // HTTP replies carry no role, so a system notice among them first shows as the bot's; its
    // websocket echo or the transcript says what it is.
    correctRole(message) {
      const shown = this.rendered.get(message.id);
      if (message.role === "user" || !shown.dataset.role || shown.dataset.role === message.role) return;
      const node = this.node(message);
      this.bind(node, message);
      shown.replaceWith(node);
    }

    systemNode(message) {
      const node = h("div", {class: "notice", dir: "auto", lang: message.language || null});
      appendLinkified(node, message.text || "", this.t("newTab"));
      return node;
    }

    messageNode(message) {
      const role = message.role === "agent" ? "agent" : "bot";
      const meta = message.meta || {};
      const node = h("div", {class: "msg " + role});
      if (role === "agent") {
        const who = h("div", {class: "who"}, [icon("person"), this.label(h("span"), "caseWorker")]);
        const name = meta.agent || message.agent;
        if (name) who.append(h("span", {text: "· " + name}));
        node.append(who);
      } else {
        node.append(this.label(h("span", {class: "visually-hidden"}), "assistant"));
      }
      const bubble = h("div", {class: "bubble", dir: "auto", lang: message.language || null});
      appendRich(bubble, message.text || "", this.t("newTab"));
      node.append(bubble);
      const buttons = (message.buttons || []).filter((b) => b && typeof b.title === "string" && typeof b.payload === "string");
      buttons.forEach((b) => this.titles.set(b.payload, b.title));
      if (isRatingRequest(message)) node.append(this.ratingNode(buttons));
      else if (buttons.length) node.append(this.choicesNode(buttons));
      if (message.sources && message.sources.length) node.append(this.sourcesNode(message.sources));
      this.addFeedback(node, message);
      return node;
    }

    choicesNode(buttons) {
      const group = this.label(h("div", {class: "choices", role: "group"}), "suggestions", null, "aria-label");
      for (const b of buttons) {
        const button = h("button", {type: "button", class: "choice", dir: "auto", "data-payload": b.payload,
          "aria-pressed": "false", text: b.title});
        button.addEventListener("click", () => {
          if (button.disabled) return;
          this.send(b.payload, b.title);
          this.input.focus();
        });
        group.append(button);
      }
      return group;
    }

    // The rating is one choice of five: a radio group (arrow keys move, Enter or Space rates).
    ratingNode(buttons) {
      const group = this.label(h("div", {class: "rating", role: "radiogroup"}), "rate", null, "aria-label");
      const items = buttons.map((b, i) => {
        const n = (RATE_PAYLOAD.exec(b.payload) || [])[1] || String(i + 1);
        const item = h("button", {type: "button", role: "radio", "aria-checked": "false", tabindex: i ? "-1" : "0",
          "data-payload": b.payload, "data-n": n});
        item.append(h("span", {"aria-hidden": "true", text: n}), this.label(h("span", {class: "visually-hidden"}),
          "stars", {n}));
        item.addEventListener("click", () => {
          if (group.classList.contains("spent")) return;
          this.send(b.payload, this.t("stars", {n}));
        });
        return item;
      });
      group.addEventListener("keydown", (event) => {
        const step = {ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1}[event.key];
        if (!step) return;
        event.preventDefault();
        const rtl = this.panel.getAttribute("dir") === "rtl" && event.key.startsWith("Arrow") &&
          (event.key === "ArrowLeft" || event.key === "ArrowRight");
        const index = items.indexOf(this.shadowActive());
        const next = items[(index + (rtl ? -step : step) + items.length) % items.length];
        items.forEach((item) => item.setAttribute("tabindex", item === next ? "0" : "-1"));
        next.focus();
      });
      group.append(...items);
      return group;
    }

    lockRating(group, n) {
      group.classList.add("spent");
      group.querySelectorAll("[role=radio]").forEach((item) => {
        const chosen = item.dataset.n === String(n);
        item.setAttribute("aria-checked", String(chosen));
        item.setAttribute("aria-disabled", "true");
        item.setAttribute("tabindex", chosen ? "0" : "-1");
      });
    }

    // Answers can cite many pages: the first few stay in view, the rest fold away.
    sourcesNode(sources) {
      const valid = sources.filter((source) => source && typeof source.url === "string");
      const shown = valid.length > 4 ? 3 : valid.length;
      const list = h("ul");
      const node = h("div", {class: "sources"}, [this.label(h("p"), "sources"), list]);
      let more = null;
      valid.forEach((source, i) => {
        if (i === shown) {
          more = h("ul");
          node.append(h("details", null, [this.label(h("summary"), "moreSources", {n: valid.length - shown}), more]));
        }
        const title = typeof source.title === "string" && source.title ? source.title : source.url;
        const link = safeLink(source.url, title, this.t("newTab"));
        const item = h("li", {dir: "auto"}, link || title);
        if (source.reviewed) {
          const time = h("time", {class: "checked", datetime: source.reviewed});
          item.append(this.label(time, "checkedOn", {date: source.reviewed}));
        }
        (more || list).append(item);
      });
      return node;
    }

    // Thumbs only where the bot answered from the knowledge base, and once the message has its id.
    addFeedback(node, message) {
      const meta = message.meta || {};
      if (meta.outcome !== "answer" || typeof message.id !== "number" || node.querySelector(".feedback")) return;
      const status = h("span", {role: "status"});
      const group = this.label(h("div", {class: "feedback", role: "group"}), "wasHelpful", null, "aria-label");
      const buttons = [["up", "helpful", ""], ["down", "notHelpful", "down"]].map(([value, key, cls]) => {
        const button = h("button", {type: "button", class: cls, "aria-pressed": "false"}, icon("thumb"));
        this.label(button, key, null, "aria-label");
        button.addEventListener("click", () => this.sendFeedback(message.id, value, buttons, button, status));
        return button;
      });
      group.append(...buttons, status);
      node.append(group);
    }

    async sendFeedback(id, value, buttons, chosen, status) {
      if (!this.conversation) return;
      try {
        await api("POST", `api/v1/conversations/${encodeURIComponent(this.conversation.id)}/feedback`,
          {token: this.conversation.token, body: {message_id: id, value}, retries: 1});
        buttons.forEach((b) => b.setAttribute("aria-pressed", String(b === chosen)));
        this.label(status, "feedbackThanks");
      } catch (_) {
        this.label(status, "errGeneric");
      }
    }

    /* ----- typing and handoff */

    showTyping(on, ms) {
      clearTimeout(this.typingTimer);
      this.typing.hidden = !on;
      // An agent's typing event has no "stopped" partner: it fades unless repeated.
      if (on && ms) this.typingTimer = setTimeout(() => this.showTyping(this.inFlight > 0), ms);
    }

    setHandoff(handoff) {
      if (!handoff || typeof handoff.state !== "string") return;
      this.handoff = handoff;
      this.renderHandoff();
    }

    renderHandoff() {
      const {state, position, wait_minutes: minutes} = this.handoff;
      let text = null;
      if (state === "queued") {
        if (position !== undefined && position !== null && minutes !== undefined && minutes !== null) {
          text = this.t("queued", {position, minutes: Math.max(1, Math.round(minutes))});
        } else if (position !== undefined && position !== null) {
          text = this.t("queuedPosition", {position});
        } else {
          text = this.t("waiting");
        }
      } else if (state === "active") {
        text = this.t("active");
      } else if (state === "closed") {
        text = this.t("closed");
      }
      this.statusBar.className = "status " + state;
      this.statusBar.dataset.state = state;
      this.statusBar.hidden = !text;
      this.statusBar.replaceChildren(h("span", {class: "dot", "aria-hidden": "true"}), h("span", {text: text || ""}));
    }

    /* ----- the transcript and the websocket */

    async syncTranscript() {
      const conversation = this.conversation;
      if (!conversation) return;
      let data;
      try {
        data = await api("GET", `api/v1/conversations/${encodeURIComponent(conversation.id)}/messages`,
          {token: conversation.token, retries: 1});
      } catch (error) {
        if (error.status === 403 || error.status === 404) this.forget();
        return;
      }
      if (this.conversation !== conversation) return;
      const messages = data.messages || [];
      if (messages.some((m) => m.role === "user")) this.followLanguage(data.language);
      if (this.inFlight) this.deferred.push(...messages);
      else messages.forEach((m) => this.render(m));
      this.setHandoff(data.handoff);
    }

    connect() {
      if (!this.conversation || this.ws) return;
      clearTimeout(this.wsTimer);
      const url = new URL(`api/v1/conversations/${encodeURIComponent(this.conversation.id)}/ws`, BASE);
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
      url.searchParams.set("token", this.conversation.token);
      let ws;
      try {
        ws = new WebSocket(url.href);
      } catch (_) {
        this.scheduleReconnect();
        return;
      }
      this.ws = ws;
      ws.addEventListener("open", () => {
        this.wsAttempt = 0;
        this.connBar.hidden = true;
        // Whatever happened while we were away (or before this socket opened) is in the transcript.
        this.syncTranscript();
      });
      ws.addEventListener("message", (event) => {
        let data;
        try {
          data = JSON.parse(event.data);
        } catch (_) {
          return;
        }
        this.onEvent(data);
      });
      ws.addEventListener("close", (event) => {
        if (this.ws !== ws) return;
        this.ws = null;
        if (!this.conversation) return;
        // 44xx: refused (a wrong token, an erased conversation, or this site's origin not allowed);
        // reconnecting cannot help. The transcript request tells which: it forgets a conversation
        // that is gone, and otherwise the widget goes on over HTTP alone.
        if (event.code >= 4400 && event.code < 4500) {
          this.syncTranscript();
          return;
        }
        this.connBar.hidden = false;
        this.scheduleReconnect();
      });
    }

    scheduleReconnect() {
      clearTimeout(this.wsTimer);
      const delay = Math.min(30000, 1000 * Math.pow(2, this.wsAttempt)) * (0.75 + Math.random() / 2);
      this.wsAttempt++;
      this.wsTimer = setTimeout(() => this.connect(), delay);
    }

    reconnectNow() {
      if (this.conversation && !this.ws) {
        this.wsAttempt = 0;
        this.connect();
      }
    }

    disconnect() {
      clearTimeout(this.wsTimer);
      const ws = this.ws;
      this.ws = null;
      if (ws) ws.close(1000);
      this.connBar.hidden = true;
    }

    onEvent(event) {
      if (!event || typeof event !== "object") return;
      if (event.type === "message" && event.message && typeof event.message.text === "string") {
        const message = event.message;
        // Echoes of our own message and its replies are held until the HTTP reply has been shown.
        if (this.inFlight && (message.role === "user" || message.role === "bot")) {
          this.deferred.push(message);
          return;
        }
        this.render(message);
        if (this.panel.hidden && message.role !== "user") this.setUnread(true);
      } else if (event.type === "handoff") {
        this.setHandoff(event);
      } else if (event.type === "typing" && event.role === "agent") {
        this.showTyping(true, 5000);
      } else if (event.type === "erased") {
        this.reset();
      }
    }

    flushDeferred() {
      const held = this.deferred;
      this.deferred = [];
      held.forEach((message) => this.render(message));
    }

    /* ----- deleting */

    askDelete() {
      this.confirm.hidden = false;
      this.confirmNo.focus();
    }

    cancelDelete() {
      this.confirm.hidden = true;
      this.deleteButton.focus();
    }

    async erase() {
      const conversation = this.conversation;
      if (conversation) {
        // Our own "erased" event must not reset the panel a second time.
        this.disconnect();
        try {
          await api("DELETE", `api/v1/conversations/${encodeURIComponent(conversation.id)}`,
            {token: conversation.token, retries: 1});
        } catch (error) {
          if (error.status !== 403 && error.status !== 404) {
            this.connect();
            this.confirm.hidden = true;
            this.showError(error, () => this.erase());
            return;
          }
        }
      }
      this.reset();
      this.input.focus();
    }

    // Forget the conversation here: storage, socket and transcript.
    reset() {
      this.forget();
      this.confirm.hidden = true;
      this.log.replaceChildren(this.privacy);
      this.privacy.hidden = false;
      this.input.setAttribute("aria-describedby", "ihs-privacy");
      this.append(this.label(h("div", {class: "notice", role: "status"}), "deleted"));
    }

    forget() {
      this.disconnect();
      this.conversation = null;
      this.rendered.clear();
      this.unbound = [];
      this.pendingUser = [];
      this.deferred = [];
      this.handoff = {state: "none"};
      this.renderHandoff();
      this.deleteButton.hidden = true;
      this.persist();
    }

    /* ----- start */

    start() {
      if (this.conversation) {
        this.deleteButton.hidden = false;
        this.syncTranscript();
        this.connect();
      }
      if (this.wasOpen) this.open({focus: false});
    }

    // A small API for the host page ("Ask about housing" buttons and the like).
    expose() {
      const widget = this;
      window.IHSWidget = Object.freeze({
        open() { widget.open(); },
        close() { widget.close(); },
        ask(text) {
          if (typeof text !== "string" || !text.trim()) return;
          widget.open();
          widget.send(text.trim(), text.trim());
        },
      });
    }
  }

  function boot() {
    const widget = new Widget();
    widget.expose();
    widget.start();
  }

  if (document.body) boot();
  else document.addEventListener("DOMContentLoaded", boot, {once: true});
})();
