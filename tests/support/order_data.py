"""Reading the order application's tables in tests that run the whole stack (e2e, flow suite)."""

from __future__ import annotations

from typing import Any


class OrderDataMixin:
    """Needs ``table(logical_id)`` returning a boto3 Table of the stack."""

    def table(self, logical_id: str) -> Any:
        raise NotImplementedError

    def stock_of(self, product_id: str) -> int:
        item = self.table("ProductsTable").get_item(Key={"productId": product_id}, ConsistentRead=True)
        return int(item["Item"]["stock"])

    def order_item(self, order_id: str) -> dict[str, Any] | None:
        item = self.table("OrdersTable").get_item(Key={"orderId": order_id}, ConsistentRead=True)
        return item.get("Item")
