"""Calls as events: the telephony adapter's event stream, the call projection, screen pop,
call-to-ticket, the missed-call callback list, transfers, hall figures and a traffic generator."""
