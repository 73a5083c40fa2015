"""The policy simulator: a book of accounts run through the real planner over simulated time, with a model of how
debtors answer each action, to compare policies before one goes live (README: *Simulating a policy*).

- `responses.py`: the debtor response model (what a debtor does after each action kind, by segment and stage) and
  its file format; the default model is `default-responses.toml`.
- `book.py`: the accounts simulated: a synthetic book drawn from parameters, or an export of today's book.
- `course.py`: one account's course as the workflow runs it (settle, plan, act), with the staff's part played.
- `tree.py`: the course of every account, shared: accounts that look the same to the planner follow one course
  until their debtors answer differently.
- `runs.py`: many seeded runs over that tree, and what they give (recovery curves with bands, costs, time to cash).
"""
