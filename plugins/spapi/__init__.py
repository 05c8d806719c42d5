"""The ``sp-api`` source: Login with Amazon, rate-limited SP-API calls, getOrders and the Reports API."""
