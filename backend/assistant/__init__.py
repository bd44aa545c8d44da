"""The assistant: turns a person's `Command` (or words) into a reply, by any channel.

`backend.commands` parses text into a `Command` (pure); the doors (`backend.telephony` for
Twilio, the CLI) hand what a person said or pressed to the assistant and speak or text its
reply. The assistant owns what lies between:

- `processor`: runs a command for a known person, or asks what it needs ("which one?",
  "your PIN?"); `answers` answers questions from the database; `resolve` finds the object a
  person named;
- `conversation`: what the product waits for from one number (a choice, a confirmation);
- `texting`: a text message's answer: to the question pending, YES + PIN or NO, or as a new
  command; `unsure` and `interpret`: the one threshold for an unsure reading, and the LLM's
  reading of it in a job (a webhook answers at once);
- `reports`: telling whoever asked by phone how their long work ended, subscribed to the
  events the pipeline and the store record (`backend.events.activity.subscribe`).

Importing this package registers those subscriptions: every entry point (web app, worker,
CLI) imports it, so no report is lost whichever process records the event.
"""

from backend.assistant import reports as reports
