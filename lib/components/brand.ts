/**
 * Brand checks that work across copies of the package (unlike `instanceof`).
 * Every public class stores its Pulumi type token under this key.
 */
export const BRAND = "__switchyardType";

export function hasBrand(obj: unknown, type: string): boolean {
  return typeof obj === "object" && obj !== null && (obj as Record<string, unknown>)[BRAND] === type;
}
