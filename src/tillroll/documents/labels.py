"""The words on a receipt, per language (the view model picks them; templates lay them out)."""

from __future__ import annotations

from typing import Literal

Language = Literal["en", "nl", "fr", "de"]
LANGUAGES: tuple[Language, ...] = ("en", "nl", "fr", "de")

_KEYS = (
    "receipt", "return_receipt", "number", "date", "branch", "customer", "member", "item",
    "qty", "price", "amount", "subtotal", "discount", "voucher", "shipping", "tax", "rate",
    "taxable", "total", "payments", "prices_incl_tax", "prices_excl_tax", "notes",
    "returned_from", "scan_to_view", "served_by", "download_pdf",
)  # fmt: skip

_TEXT: dict[Language, tuple[str, ...]] = {
    "en": (
        "Receipt",
        "Return receipt",
        "Receipt no.",
        "Date",
        "Store",
        "Customer",
        "Member",
        "Item",
        "Qty",
        "Price",
        "Amount",
        "Subtotal",
        "Discount",
        "Voucher",
        "Shipping",
        "Tax",
        "Rate",
        "Taxable",
        "Total",
        "Payments",
        "Prices include tax",
        "Prices exclude tax",
        "Notes",
        "Returned from receipt",
        "Scan to view this receipt online",
        "Served by",
        "Download PDF",
    ),
    "nl": (
        "Kassabon",
        "Retourbon",
        "Bonnummer",
        "Datum",
        "Winkel",
        "Klant",
        "Lid",
        "Artikel",
        "Aantal",
        "Prijs",
        "Bedrag",
        "Subtotaal",
        "Korting",
        "Tegoedbon",
        "Verzending",
        "Btw",
        "Tarief",
        "Grondslag",
        "Totaal",
        "Betalingen",
        "Prijzen inclusief btw",
        "Prijzen exclusief btw",
        "Opmerkingen",
        "Geretourneerd van bon",
        "Scan om deze bon online te bekijken",
        "Geholpen door",
        "PDF downloaden",
    ),
    "fr": (
        "Ticket de caisse",
        "Ticket de retour",
        "Ticket n°",
        "Date",
        "Magasin",
        "Client",
        "Membre",
        "Article",
        "Qté",
        "Prix",
        "Montant",
        "Sous-total",
        "Remise",
        "Bon d'achat",
        "Livraison",
        "TVA",
        "Taux",
        "Base",
        "Total",
        "Paiements",
        "Prix TTC",
        "Prix HT",
        "Remarques",
        "Retour du ticket",
        "Scannez pour voir ce ticket en ligne",
        "Servi par",
        "Télécharger le PDF",
    ),
    "de": (
        "Kassenbon",
        "Rückgabebeleg",
        "Bon-Nr.",
        "Datum",
        "Filiale",
        "Kunde",
        "Mitglied",
        "Artikel",
        "Menge",
        "Preis",
        "Betrag",
        "Zwischensumme",
        "Rabatt",
        "Gutschein",
        "Versand",
        "MwSt.",
        "Satz",
        "Netto",
        "Summe",
        "Zahlungen",
        "Preise inkl. MwSt.",
        "Preise zzgl. MwSt.",
        "Anmerkungen",
        "Rückgabe zu Bon",
        "Scannen, um diesen Bon online anzusehen",
        "Bedient von",
        "PDF herunterladen",
    ),
}

_ORDER_LABELS: dict[Language, dict[str, str]] = {
    "en": {"order_status": "Order status", "shipments": "Shipments", "shipped_on": "Shipped",
           "track": "Track"},
    "nl": {"order_status": "Status bestelling", "shipments": "Zendingen",
           "shipped_on": "Verzonden", "track": "Volgen"},
    "fr": {"order_status": "Statut de la commande", "shipments": "Expéditions",
           "shipped_on": "Expédié le", "track": "Suivre"},
    "de": {"order_status": "Bestellstatus", "shipments": "Sendungen", "shipped_on": "Versandt am",
           "track": "Verfolgen"},
}  # fmt: skip

_WALLET_LABELS: dict[Language, dict[str, str]] = {
    "en": {"balance_after": "Balance after this receipt", "points": "points",
           "loyalty": "Loyalty", "loyalty_level": "Level",
           "points_to_next": "Points to the next level"},
    "nl": {"balance_after": "Saldo na deze bon", "points": "punten",
           "loyalty": "Spaarprogramma", "loyalty_level": "Niveau",
           "points_to_next": "Punten tot het volgende niveau"},
    "fr": {"balance_after": "Solde après ce ticket", "points": "points",
           "loyalty": "Fidélité", "loyalty_level": "Niveau",
           "points_to_next": "Points avant le niveau suivant"},
    "de": {"balance_after": "Stand nach diesem Bon", "points": "Punkte",
           "loyalty": "Treueprogramm", "loyalty_level": "Stufe",
           "points_to_next": "Punkte bis zur nächsten Stufe"},
}  # fmt: skip

LABELS: dict[Language, dict[str, str]] = {
    lang: dict(zip(_KEYS, words, strict=True)) | _ORDER_LABELS[lang] | _WALLET_LABELS[lang]
    for lang, words in _TEXT.items()
}
"""`LABELS[lang][key]`: every language has every key (checked at import by `strict`)."""

METHODS: dict[Language, dict[str, str]] = {
    "en": {"card": "Card", "cash": "Cash", "voucher": "Voucher", "wallet": "Wallet"},
    "nl": {"card": "Pin/creditcard", "cash": "Contant", "voucher": "Tegoedbon", "wallet": "Tegoed"},
    "fr": {"card": "Carte", "cash": "Espèces", "voucher": "Bon d'achat", "wallet": "Cagnotte"},
    "de": {"card": "Karte", "cash": "Bar", "voucher": "Gutschein", "wallet": "Guthaben"},
}
"""Payment method names; a method not listed is shown as sent."""

ORDER_STATUSES: dict[Language, dict[str, str]] = {
    "en": {"PREPARED_SHIP": "Being prepared", "PARTIALLY_SHIPPED": "Partly shipped",
           "SHIPPED": "Shipped", "DELIVERED": "Delivered", "CANCELED": "Canceled"},
    "nl": {"PREPARED_SHIP": "Wordt klaargemaakt", "PARTIALLY_SHIPPED": "Deels verzonden",
           "SHIPPED": "Verzonden", "DELIVERED": "Bezorgd", "CANCELED": "Geannuleerd"},
    "fr": {"PREPARED_SHIP": "En préparation", "PARTIALLY_SHIPPED": "Partiellement expédiée",
           "SHIPPED": "Expédiée", "DELIVERED": "Livrée", "CANCELED": "Annulée"},
    "de": {"PREPARED_SHIP": "In Vorbereitung", "PARTIALLY_SHIPPED": "Teilweise versandt",
           "SHIPPED": "Versandt", "DELIVERED": "Zugestellt", "CANCELED": "Storniert"},
}  # fmt: skip
"""An online order's status (`receipts.order_status`), as the buyer reads it."""

TRACKING: dict[Language, dict[str, str]] = {
    "en": {"info_received": "Label created", "in_transit": "In transit",
           "out_for_delivery": "Out for delivery", "delivered": "Delivered",
           "exception": "Delivery problem", "returned": "Returned to sender"},
    "nl": {"info_received": "Aangemeld", "in_transit": "Onderweg",
           "out_for_delivery": "Wordt vandaag bezorgd", "delivered": "Bezorgd",
           "exception": "Probleem met bezorging", "returned": "Retour afzender"},
    "fr": {"info_received": "Étiquette créée", "in_transit": "En transit",
           "out_for_delivery": "En cours de livraison", "delivered": "Livré",
           "exception": "Incident de livraison", "returned": "Retourné à l'expéditeur"},
    "de": {"info_received": "Sendung angemeldet", "in_transit": "Unterwegs",
           "out_for_delivery": "In Zustellung", "delivered": "Zugestellt",
           "exception": "Zustellproblem", "returned": "Zurück an Absender"},
}  # fmt: skip
"""A shipment's latest tracking status, as the buyer reads it."""
