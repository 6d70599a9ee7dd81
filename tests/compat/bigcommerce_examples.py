"""Seed 003's response examples (BigCommerce B2B Edition receipts), as published."""

from __future__ import annotations

from typing import Any

RECEIPT_85: dict[str, Any] = {
    "id": 85,
    "createdAt": 1630658187,
    "updatedAt": 1630658187,
    "storeHash": "1i6zpxpe3g",
    "customerId": "5485",
    "externalId": "",
    "externalCustomerId": "",
    "payerName": "k Admin",
    "payerCustomerId": "5485",
    "details": {"paymentDetails": {"memo": "payment memo"}},
    "transactionType": "Paid",
    "paymentType": "Visa ending in 1111",
    "referenceNumber": "375026",
    "paymentId": 92,
    "total": {"code": "USD", "value": "122.9500"},
}
RECEIPT_83: dict[str, Any] = {
    "id": 83,
    "createdAt": 1630570416,
    "updatedAt": 1630570416,
    "storeHash": "1i6zpxpe3g",
    "customerId": "5707",
    "externalId": "",
    "externalCustomerId": "",
    "payerName": "Cash",
    "payerCustomerId": "5707",
    "details": {"paymentDetails": {"memo": "test"}},
    "transactionType": "Paid",
    "paymentType": "Offline",
    "referenceNumber": "test",
    "paymentId": 90,
    "total": {"code": "CNY", "value": "1.2000"},
}
LINE_95: dict[str, Any] = {
    "id": 95,
    "createdAt": 1630658187,
    "updatedAt": 1630658187,
    "storeHash": "1i6zpxpe3g",
    "customerId": "5485",
    "externalId": "",
    "externalCustomerId": "",
    "receiptId": 85,
    "invoiceId": 38,
    "amount": {"code": "USD", "value": "122.9500"},
    "paymentStatus": 1,
    "paymentType": "Visa ending in 1111",
    "invoiceNumber": "00000038",
    "paymentId": 92,
    "referenceNumber": "375026",
    "transactionType": "Paid",
}
LINE_92: dict[str, Any] = {
    "id": 92,
    "createdAt": 1630570416,
    "updatedAt": 1630570416,
    "storeHash": "1i6zpxpe3g",
    "customerId": "5707",
    "externalId": "",
    "externalCustomerId": "",
    "receiptId": 83,
    "invoiceId": 19,
    "amount": {"code": "CNY", "value": "0.7000"},
    "paymentStatus": 3,
    "paymentType": "Offline",
    "invoiceNumber": "00000019",
    "paymentId": 90,
    "referenceNumber": "test",
    "transactionType": "Paid",
}
DELETED_RECEIPT_3: dict[str, Any] = {"code": 200, "data": {"id": 3}, "meta": {"message": "SUCCESS"}}
DELETED_LINE_92: dict[str, Any] = {"code": 200, "data": {"id": 92}, "meta": {"message": "SUCCESS"}}
NOT_FOUND: dict[str, Any] = {
    "code": 404,
    "data": {"errMsg": "Receipt does not exist"},
    "meta": {"message": "Not Found Error"},
}

# BC's payment specification (invoice-management payment.yaml), GET /payments/{paymentId}
# example-1 (`data`): an offline payment of one invoice.
PAYMENT_117: dict[str, Any] = {
    "id": 117,
    "createdAt": 1635932127,
    "updatedAt": 1635932127,
    "storeHash": "rtmh8fqr05",
    "customerId": "6041",
    "externalId": None,
    "externalCustomerId": None,
    "payerName": "Check",
    "payerCustomerId": "6041",
    "details": {"memo": "k"},
    "moduleName": "payments_offline",
    "fees": [],
    "moduleData": {
        "transactions": [{"memo": "k", "type": "OfflineTransaction", "rawTransaction": None}]
    },
    "processingStatus": 3,
    "appliedStatus": 1,
    "fundingStatus": 2,
    "total": {"code": "GBP", "value": "0.7800"},
    "lineItems": [
        {
            "paymentId": 117,
            "invoiceId": 141,
            "invoiceNumber": "00000141",
            "amount": {"code": "GBP", "value": "0.7800"},
        }
    ],
    "customerName": "",
    "allowedOperations": [],
    "allowedStatuses": [1, 2, 3, 4],
}
PAYMENT_NOT_FOUND: dict[str, Any] = {
    "code": 404,
    "data": {"errMsg": "Payment does not exist"},
    "meta": {"message": "Not Found Error"},
}
