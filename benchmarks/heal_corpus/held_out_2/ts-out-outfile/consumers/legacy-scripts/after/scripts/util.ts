function formatPrice(cents: number, currency: string = "EUR"): string {
  return (cents / 100).toFixed(2) + " " + currency;
}
