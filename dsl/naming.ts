/**
 * How the DSL's names map onto each other: event names onto schema files, processor names onto
 * processor files, journey names onto TypeScript types. The compiler, the loader and the type
 * generator must agree on them, so they live here once.
 */

/** `open-wallet` → `OpenWallet` */
export function pascalCase(kebab: string): string {
  return kebab
    .split(/[-_.]/)
    .filter((part) => part.length > 0)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

/** `validateIban` → `validate-iban` */
export function kebabCase(camel: string): string {
  return camel.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** Processor files a `process <name>` step may use, in order of preference. */
export function processorFileCandidates(name: string): string[] {
  return [`processors/${kebabCase(name)}.ts`, `processors/${kebabCase(name)}.js`];
}
