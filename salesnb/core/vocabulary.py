"""The fixed values of the data contract that computations rely on."""

STAGES = ("prospecting", "qualification", "proposal", "negotiation", "won", "lost")
OPEN_STAGES = STAGES[:4]
ACTIVITY_TYPES = ("call", "meeting", "email", "proposal", "quote", "contract")
FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "closed", "omitted")
SEGMENTS = ("enterprise", "mid_market", "smb")
ACCOUNT_STATUSES = ("customer", "prospect")
ANONYMITY_FLOOR = 5  # fewest survey respondents ever shown as a group; a parameter can raise it, never lower it
