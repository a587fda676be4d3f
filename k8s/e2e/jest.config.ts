// `helm install` of the chart on the one-node cluster whose pods run (k8s/cluster), with the images built
// from the Dockerfile (k8s/image) and the local infrastructure outside the cluster (the production shape).
export default {
  displayName: 'chart-e2e',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testTimeout: 300_000,
};
