"""What the message channels (短信, 微信) share: the operators' waiting list (waiting_list.py)."""
