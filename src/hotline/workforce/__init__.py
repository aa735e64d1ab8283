"""Seat planning (座席测算): Erlang C staffing per half-hour, the Jilin rule beside it, and a
discrete-event simulation of the hall with abandonment that checks the plan."""
