"""The case feature: opening a case per demand, the review queue, the workflow's actions, holds
and notices, deadlines due, re-assessment and scripted replays."""
