"""The four examples of seed 004, verbatim (the retail-messaging platform's documents).

`UPDATE_AS_PUBLISHED` is the order update exactly as published: its `{"id":"100",}` has a
trailing comma, which is not JSON. `UPDATE` is it corrected the documented way (the comma
removed, nothing else changed; docs/compat-retail-messaging.md)."""

from __future__ import annotations

RECEIPT = """{
 "receipt_id":"meow0101021",
 "items":[
   {
     "id":"100",
     "name":"Classic t-shirt wit Kitten",
     "currency":"USD",
     "price":"15.00",
     "thumb_url":"http://www.comedyvsnerds.com/assets/cvn_transparent-022819895eb48d3a76ee6627b1a6cda2.png",
     "item_url":"http://www.comedyvsnerds.com/?item_id=100",
     "quantity":"2",
     "metadata":{
       "brand":"Awesome Comedy Show",
       "size":"L",
       "color":"White",
       "fun": "A lot!"
     }
   }
 ],
 "timestamp":"1423076008",
 "account_holder_name":"Matt Berman",
 "recipient_name":"Matt Berman",
 "structured_address":{
   "street_1":"25 Taylor str",
   "city":"San Francisco",
   "state":"CA",
   "postal_code":"94133",
   "country":"US"
 },
 "shipping_method":"USPS",
 "payment_method":"Visa 1234",
 "subtotal":"30.00",
 "shipping_cost":"5.00",
 "total_tax":"3.00",
 "total_cost":"38.00",
 "currency":"USD",
 "order_url":"http://www.comedyvsnerds.com?orderID=order123456789",
 "cancellation_url":"http://www.comedyvsnerds.com?cancelID=order123456789"
}"""

SHIPMENT = """{
  "receipt_id":"meow0101021",
  "carrier":"UPS",
  "tracking_number":"1ZW098R40361231305",
  "carrier_tracking_url":"http://www.ups.com/WebTracking/processInputRequest?tracknum=1ZW098R40361231305",
  "items":[
    {
      "id":"100",
      "quantity":"2"
    }
  ],
  "ship_date":"1427824997",
  "origin":{
    "street_1":"",
    "street_2":"",
    "city":"Cleveland",
    "state":"OH",
    "postal_code":"44101",
    "country":"US"
  },
  "destination":{
    "street_1":"1 Hacker Way",
    "street_2":"",
    "city":"Menlo Park",
    "state":"CA",
    "postal_code":"94025",
    "country":"US"
  },
  "weight":"4.5",
  "weight_unit":"LBS"
}"""

UPDATE_AS_PUBLISHED = """{
 "receipt_id":"meow0101021",
 "update_id":"update2",
 "update_type":"update_quantity",
 "items":[
   {
     "id":"100",
   }
 ],
 "timestamp":"1428444852",
 "updated_sub_total":"20.00",
 "updated_shipping_cost":"5.00",
 "updated_total_tax":"2.00",
 "updated_total":"27.00",
 "currency":"USD"
}"""

NOTIFY_ME = """{
 "name":"New Comedy VS Nerds Show",
 "notification_id":"product123456789",
 "url":"http://www.google.com",
 "thumb_url":"http://www.google.com/share5.png",
 "category":"retail_item",
 "currency":"USD",
 "price":"35.00",
 "desc":"Awesome Comedy VS Nerds comedy show, starring Loui CK and Bruce Williams",
 "metadata":{
   "brand":"ComedyVSNerds",
   "kitten":"true",
   "funny":"veery"
 }}"""

UPDATE = UPDATE_AS_PUBLISHED.replace('"id":"100",\n   }', '"id":"100"\n   }')
EXAMPLES = {
    "retail_receipts": RECEIPT,
    "retail_shipments": SHIPMENT,
    "retail_updatereceipts": UPDATE,
    "notifyme": NOTIFY_ME,
}
