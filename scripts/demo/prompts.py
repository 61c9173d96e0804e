"""What the demo's customers ask, and the simulated judges' answer key for it.

The answer key is the ground truth the SIMULATED honest judges grade from (docs/jury.md, "The
simulated judge server"): an output passes a rubric only when its SHA-256 is listed. It lists
the reliable agent's answer to each question below, so honest judges pass the reliable agent
and fail everything else; `make services` starts the judge server with it
(`judge_answer_key.json`, kept in step with this list by tests/test_demo_answer_key.py).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pactline_gateway.simulated_agents import answer

ANSWER_KEY_FILE = Path(__file__).with_name("judge_answer_key.json")
ASK_FOR_JSON = " Reply in JSON with an answer and a status."

QUESTIONS = (
    "Where is my order 1042? It was due on Monday.",
    "I was charged twice for the same subscription this month.",
    "How do I change the delivery address of an order that has not shipped?",
    "The blender I bought arrived with a cracked jar.",
    "Can I return a jacket I bought five weeks ago?",
    "My discount code SPRING10 is not accepted at checkout.",
    "How long does a refund take to reach my card?",
    "I never received the confirmation e-mail for my order.",
    "Can you split my order into two deliveries?",
    "The tracking page has not updated for four days.",
    "How do I cancel my premium membership?",
    "Is the charger in my order compatible with European sockets?",
    "I received someone else's parcel by mistake.",
    "Can I add gift wrapping after placing the order?",
    "The app logs me out every time I open the basket.",
    "Why was my payment declined although my card works elsewhere?",
    "Do you deliver to the Channel Islands?",
    "The size guide says medium but the shirt is far too small.",
    "How can I download an invoice for my company?",
    "My loyalty points from last year have disappeared.",
    "The courier left my parcel outside in the rain.",
    "Can I change the colour of a sofa I ordered yesterday?",
    "I want to complain about a rude delivery driver.",
    "When will the coffee grinder be back in stock?",
)
PROMPTS = tuple(question + ASK_FOR_JSON for question in QUESTIONS)


def answer_key() -> dict[str, object]:
    """The judge server's answer key for PROMPTS (docs/jury.md)."""
    answers = {
        hashlib.sha256(answer("reliable", prompt).encode()).hexdigest(): {"verdict": "PASS", "score": "0.92"}
        for prompt in PROMPTS
    }
    return {"default": {"verdict": "FAIL", "score": "0.1"}, "answers": dict(sorted(answers.items()))}


def write_answer_key(path: Path = ANSWER_KEY_FILE) -> None:
    path.write_text(json.dumps(answer_key(), indent=2) + "\n")


if __name__ == "__main__":
    write_answer_key()
    print(f"wrote {ANSWER_KEY_FILE}")
