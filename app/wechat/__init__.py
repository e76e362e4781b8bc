"""WeChat: SDK clients, OAuth and mini-program login, the message endpoint, the sandbox.

Arrives with the WeChat work item; the accounts it binds to live in app.accounts.
"""
