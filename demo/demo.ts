// Demo placeholder until the demo issue lands.
console.log('fobkit demo: not yet implemented');
