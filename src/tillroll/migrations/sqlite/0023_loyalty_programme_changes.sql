-- Loyalty levels (tillroll.wallets): a programme whose review period was changed counts its
-- reviews again from the start of the period then current; the moment of the last review
-- before that is kept here, so `last_review_date` still shows it.
ALTER TABLE loyalty_programmes ADD COLUMN earlier_review TIMESTAMPTZ;
