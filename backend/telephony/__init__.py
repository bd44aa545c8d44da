"""Talking to the product by phone and SMS (Twilio): who is calling, what they said, and the
TwiML answered. The webhooks in `backend/api/webhooks.py` are thin doors onto this package."""
