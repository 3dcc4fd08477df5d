"""The Telegram channel: python-telegram-bot in front of the gateway's conversation engine.

`channel.TelegramChannel` is what the gateway starts. The other modules each do one job: `application`
(building python-telegram-bot's Application), `handlers` (one per kind of update), `chats` (chat to
conversation), `store` (the channel's tables), `render` and `send` (HTML messages), `callbacks` (button
data), `outbound` (agents' messages), `parse` (webhook bodies), `texts` and `redaction` (the bot token).
"""
