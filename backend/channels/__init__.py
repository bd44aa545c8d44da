"""Ways the product reaches people: voice calls and SMS (Twilio), email (SMTP),
Slack messages and GitHub issues.

Every outgoing message is a `Notification` row written by `outbox.queue` in the caller's
transaction and sent by the `notification.send` job (`delivery.deliver`) through one small
interface per channel, so tests point the real vendor clients at a local peer.
"""
