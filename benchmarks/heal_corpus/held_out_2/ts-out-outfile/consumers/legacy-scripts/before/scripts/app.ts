var cart: number[] = [1250, 399, 2000];

function cartTotal(items: number[]): string {
  var sum = 0;
  for (var i = 0; i < items.length; i++) sum += items[i];
  return formatPrice(sum);
}
