"""The WeChat official account (微信公众号) channel: see docs/wechat.md."""
