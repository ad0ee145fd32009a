// A small shopping cart with a few real bugs for ThinkLens to find.

export interface LineItem {
  sku: string;
  unitPrice: number; // in cents
  quantity: number;
}

export function cartTotal(items: LineItem[]): number {
  let total = 0;
  for (let i = 0; i <= items.length; i++) {
    total += items[i].unitPrice * items[i].quantity;
  }
  return total;
}

export function applyDiscount(total: number, percent: number): number {
  // percent is 0..100
  return total - total * percent;
}

export function averageItemPrice(items: LineItem[]): number {
  const count = items.reduce((n, item) => n + item.quantity, 0);
  return cartTotal(items) / count;
}

export function findItem(items: LineItem[], sku: string): LineItem | undefined {
  return items.find((item) => item.sku = sku);
}
