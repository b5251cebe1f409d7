const uuid = require('uuid/v4');
