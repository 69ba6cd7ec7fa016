import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '.data/**',
      'test-results/**',
      'playwright-report/**',
      'bench-results/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
      'packages/screwdriver-compat/sd-api/**',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Each file is checked with the types of the nearest tsconfig.json that includes it; the
        // root Playwright config belongs to none, so the default project takes it.
        projectService: { allowDefaultProject: ['playwright.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      // Fastify plugins, hooks and handlers are async by contract (an async function is how Fastify
      // knows a plugin or hook has finished, whether or not it awaits), and so are MikroORM's
      // Migration.up/down: an async function without an await is not a mistake here.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests read the broker's JSON answers as they come (`res.json()` is `any`) and compare them with
    // Vitest's asymmetric matchers (`expect.any`, `expect.objectContaining`), which are typed `any`:
    // the no-unsafe-* rules would only flag those. Everything else, floating promises included, holds.
    files: ['**/*.test.ts', '**/*.test.tsx', '**/test/**/*.ts', 'e2e/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Only config.ts reads the environment (house style: config is validated once).
    files: ['apps/broker/src/**/*.ts'],
    ignores: ['apps/broker/src/config.ts', 'apps/broker/src/quickstart/**', 'apps/broker/src/**/*.test.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration in config.ts only.' },
      ],
    },
  },
  {
    // The dashboard bundles no schema library: protocol values come from its schema-free entry points.
    files: ['apps/dashboard/src/**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@buildcluster/protocol',
              allowTypeImports: true,
              message: 'Import values from @buildcluster/protocol/constants or /conventions; the root bundles TypeBox.',
            },
          ],
        },
      ],
    },
  },
);
