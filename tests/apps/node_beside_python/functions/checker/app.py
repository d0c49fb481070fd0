"""The stock's price: the event's (a real app would ask a market data service)."""


def lambda_handler(event, context):
    return {"stock_price": int(event["price"]), "symbol": event.get("symbol", "ACME")}
