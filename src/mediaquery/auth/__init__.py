"""Access control: API keys with scopes (`mediaquery keys`) and the check every request passes."""
