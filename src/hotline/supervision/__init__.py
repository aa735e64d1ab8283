"""Supervision (督办): reminders before a deadline, supervision orders after it, meetings and interviews,
detection of improper returns, buck-passing and false replies, and the scheduler that runs them."""
