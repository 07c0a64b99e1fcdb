/** The choices of `-o/--output` for listings (cli/output.ts prints them). Here, not there, so declaring the option does not load yaml. */
export const OUTPUTS = ['table', 'json', 'yaml'] as const;
export type Output = (typeof OUTPUTS)[number];
